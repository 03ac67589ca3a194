// Drives a dsv3 server with the official OpenAI Node.js client, unmodified, and prints what it saw as one JSON
// object for DeepSeekV3.Worker.Tests to assert on. Usage: node check.mjs BASE_URL MODEL API_KEY
import OpenAI from 'openai';

const [baseUrl, model, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
const messages = [
  { role: 'system', content: 'You are a terse assistant. Answer in one short sentence, in the language of the question.' },
  { role: 'user', content: 'Hello, 世界! 👋 What is a mixture of experts?' },
];
const results = {};

results.models = (await client.models.list()).data.map((m) => m.id);

const chat = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
results.chat = { content: chat.choices[0].message.content, role: chat.choices[0].message.role, finish: chat.choices[0].finish_reason, usage: chat.usage };

const again = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
results.again = { content: again.choices[0].message.content, usage: again.usage };

const stream = await client.chat.completions.create({
  model, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let text = '';
let usage = null;
let chunks = 0;
let finish = null;
for await (const chunk of stream) {
  chunks += 1;
  if (chunk.choices.length > 0) {
    text += chunk.choices[0].delta?.content ?? '';
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  if (chunk.usage) usage = chunk.usage;
}
results.stream = { text, usage, chunks, finish };

const withLogprobs = await client.chat.completions.create({ model, messages, max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2 });
results.logprobs = withLogprobs.choices[0].logprobs.content.map((entry) => ({ token: entry.token, logprob: entry.logprob, top: entry.top_logprobs.length }));

const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
results.completion = { text: completion.choices[0].text, usage: completion.usage };

try {
  await client.chat.completions.create({ model, messages, max_tokens: 2, temperature: 7 });
  results.error = null;
} catch (error) {
  results.error = { status: error.status, name: error.constructor.name, param: error.param ?? error.error?.param };
}

console.log(JSON.stringify(results));
