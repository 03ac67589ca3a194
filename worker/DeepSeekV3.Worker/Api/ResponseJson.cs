using System.Text;
using System.Text.Json;
using DeepSeekV3.Inference.Tokenization;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Api;

/// <summary>
/// Writes OpenAI response bodies and stream chunks for one request (the shapes of the OpenAI API reference for
/// chat.completion, chat.completion.chunk and text_completion objects), plus DeepSeek's cache-hit usage fields.
/// </summary>
public sealed class ResponseJson(CompletionKind kind, string id, long created, string model, Tokenizer? tokenizer, bool includeUsageInChunks)
{
    private string ObjectName => kind == CompletionKind.Chat ? "chat.completion" : "text_completion";

    private string ChunkObjectName => kind == CompletionKind.Chat ? "chat.completion.chunk" : "text_completion";

    /// <summary>The whole non-streaming response.</summary>
    public void WriteCompletion(Utf8JsonWriter json, string text, IReadOnlyList<SampledToken> tokens, bool logprobs,
        FinishReason finish, GenerationUsage usage)
    {
        json.WriteStartObject();
        WriteHeader(json, ObjectName);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        if (kind == CompletionKind.Chat)
        {
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            json.WriteString("content", text);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text", text);
        }

        WriteLogprobs(json, logprobs ? tokens : null);
        json.WriteString("finish_reason", FinishReasons.ToOpenAi(finish));
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    /// <summary>A stream chunk carrying <paramref name="text"/> (and the token's logprobs), or the finish reason.</summary>
    public void WriteChunk(Utf8JsonWriter json, string text, SampledToken? token, bool logprobs, FinishReason? finish, bool first)
    {
        json.WriteStartObject();
        WriteHeader(json, ChunkObjectName);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        if (kind == CompletionKind.Chat)
        {
            json.WriteStartObject("delta");
            if (first)
            {
                json.WriteString("role", "assistant");
            }

            if (finish is null || text.Length > 0)
            {
                json.WriteString("content", text);
            }

            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text", text);
        }

        WriteLogprobs(json, logprobs && token is not null ? [token] : null);
        if (finish is { } reason)
        {
            json.WriteString("finish_reason", FinishReasons.ToOpenAi(reason));
        }
        else
        {
            json.WriteNull("finish_reason");
        }

        json.WriteEndObject();
        json.WriteEndArray();
        if (includeUsageInChunks)
        {
            json.WriteNull("usage");
        }

        json.WriteEndObject();
    }

    /// <summary>The final chunk of <c>stream_options.include_usage</c>: no choices, the usage.</summary>
    public void WriteUsageChunk(Utf8JsonWriter json, GenerationUsage usage)
    {
        json.WriteStartObject();
        WriteHeader(json, ChunkObjectName);
        json.WriteStartArray("choices");
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    public static void WriteUsage(Utf8JsonWriter json, GenerationUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("completion_tokens", usage.CompletionTokens);
        json.WriteNumber("total_tokens", usage.TotalTokens);
        // DeepSeek API fields: context-cache hits are billed separately.
        json.WriteNumber("prompt_cache_hit_tokens", usage.CachedPromptTokens);
        json.WriteNumber("prompt_cache_miss_tokens", usage.MissedPromptTokens);
        // OpenAI's spelling of the same figure.
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.CachedPromptTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private void WriteHeader(Utf8JsonWriter json, string objectName)
    {
        json.WriteString("id", id);
        json.WriteString("object", objectName);
        json.WriteNumber("created", created);
        json.WriteString("model", model);
    }

    private void WriteLogprobs(Utf8JsonWriter json, IReadOnlyList<SampledToken>? tokens)
    {
        if (tokens is null)
        {
            json.WriteNull("logprobs");
            return;
        }

        json.WriteStartObject("logprobs");
        if (kind == CompletionKind.Chat)
        {
            json.WriteStartArray("content");
            foreach (var token in tokens)
            {
                json.WriteStartObject();
                WriteTokenFields(json, token.TokenId, token.Logprob);
                json.WriteStartArray("top_logprobs");
                foreach (var alternative in token.TopLogprobs)
                {
                    json.WriteStartObject();
                    WriteTokenFields(json, alternative.TokenId, alternative.Logprob);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }
        else
        {
            // The legacy completions shape: parallel arrays.
            json.WriteStartArray("tokens");
            foreach (var token in tokens)
            {
                json.WriteStringValue(TokenText(token.TokenId));
            }

            json.WriteEndArray();
            json.WriteStartArray("token_logprobs");
            foreach (var token in tokens)
            {
                json.WriteNumberValue(token.Logprob);
            }

            json.WriteEndArray();
            json.WriteStartArray("top_logprobs");
            foreach (var token in tokens)
            {
                json.WriteStartObject();
                foreach (var alternative in token.TopLogprobs)
                {
                    json.WriteNumber(TokenText(alternative.TokenId), alternative.Logprob);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private void WriteTokenFields(Utf8JsonWriter json, int tokenId, float logprob)
    {
        string text = TokenText(tokenId);
        json.WriteString("token", text);
        json.WriteNumber("logprob", logprob);
        json.WriteStartArray("bytes");
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            json.WriteNumberValue(b);
        }

        json.WriteEndArray();
    }

    private string TokenText(int tokenId) =>
        tokenizer?.Decode([tokenId], skipSpecialTokens: false) ?? $"<{tokenId}>";
}
