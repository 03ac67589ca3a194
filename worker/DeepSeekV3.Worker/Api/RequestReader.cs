using System.Text.Json;
using DeepSeekV3.Inference.Tokenization;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Api;

/// <summary>
/// Reads <c>/v1/chat/completions</c> and <c>/v1/completions</c> bodies with OpenAI's field names and defaults.
/// Every bad field becomes an <see cref="InvalidRequestException"/> naming it, which the API answers with 400.
/// </summary>
public static class RequestReader
{
    private const int MaxTopLogprobs = 20;

    public static ParsedRequest ReadChat(JsonElement body, Tokenizer? tokenizer)
    {
        RequireObject(body);
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw new InvalidRequestException("messages", "'messages' must be a non-empty array");
        }

        if (tokenizer is null)
        {
            throw new InvalidRequestException("messages", "this model has no tokenizer.json; use /v1/completions with token ids");
        }

        var chat = new List<ChatMessage>();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            string role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetString()!
                : throw new InvalidRequestException($"messages[{index}].role", $"messages[{index}] needs a string 'role'");
            if (role is not ("system" or "user" or "assistant" or "developer"))
            {
                throw new InvalidRequestException($"messages[{index}].role", $"unsupported role '{role}' in messages[{index}]");
            }

            chat.Add(new ChatMessage(role == "developer" ? "system" : role, Content(message, index)));
            index++;
        }

        bool logprobs = OptionalBool(body, "logprobs") ?? false;
        int? topLogprobs = OptionalInt(body, "top_logprobs", 0, MaxTopLogprobs);
        if (topLogprobs is not null && !logprobs)
        {
            throw new InvalidRequestException("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
        }

        int? maxTokens = OptionalInt(body, "max_completion_tokens", 1, int.MaxValue) ?? OptionalInt(body, "max_tokens", 1, int.MaxValue);
        var sampling = ReadSampling(body, maxTokens ?? 1024, logprobs ? topLogprobs ?? 0 : null);
        return new ParsedRequest(tokenizer.EncodeChat(chat), sampling, Stream(body), IncludeUsage(body), logprobs, Model(body));
    }

    public static ParsedRequest ReadCompletion(JsonElement body, Tokenizer? tokenizer)
    {
        RequireObject(body);
        if (OptionalBool(body, "echo") == true)
        {
            throw new InvalidRequestException("echo", "'echo' is not supported");
        }

        if (body.TryGetProperty("suffix", out var suffix) && suffix.ValueKind != JsonValueKind.Null)
        {
            throw new InvalidRequestException("suffix", "'suffix' is not supported");
        }

        int[] prompt = Prompt(body, tokenizer);
        int? logprobs = OptionalInt(body, "logprobs", 0, 5);
        var sampling = ReadSampling(body, OptionalInt(body, "max_tokens", 1, int.MaxValue) ?? 16, logprobs);
        return new ParsedRequest(prompt, sampling, Stream(body), IncludeUsage(body), logprobs is not null, Model(body));
    }

    private static SamplingParams ReadSampling(JsonElement body, int maxTokens, int? topLogprobs)
    {
        if (OptionalInt(body, "n", 1, int.MaxValue) is > 1)
        {
            throw new InvalidRequestException("n", "only n = 1 is supported");
        }

        float topP = OptionalFloat(body, "top_p", 0, 1) ?? 1f;
        if (topP <= 0)
        {
            throw new InvalidRequestException("top_p", "'top_p' must be greater than 0 and at most 1");
        }

        return new SamplingParams
        {
            Temperature = OptionalFloat(body, "temperature", 0, 2) ?? 1f,
            TopP = topP,
            // vLLM's extension; -1 and 0 both mean no limit.
            TopK = Math.Max(0, OptionalInt(body, "top_k", -1, int.MaxValue) ?? 0),
            Seed = OptionalLong(body, "seed") is { } seed ? unchecked((ulong)seed) : null,
            MaxTokens = maxTokens,
            Stop = Stop(body),
            StopTokenIds = IntArray(body, "stop_token_ids"),
            IgnoreEos = OptionalBool(body, "ignore_eos") ?? false,
            TopLogprobs = topLogprobs,
            PresencePenalty = OptionalFloat(body, "presence_penalty", -2, 2) ?? 0f,
            FrequencyPenalty = OptionalFloat(body, "frequency_penalty", -2, 2) ?? 0f,
        };
    }

    private static int[] Prompt(JsonElement body, Tokenizer? tokenizer)
    {
        if (!body.TryGetProperty("prompt", out var prompt))
        {
            throw new InvalidRequestException("prompt", "'prompt' is required");
        }

        // OpenAI accepts a string, an array of one string, or token ids (an array of integers).
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() == 1 && prompt[0].ValueKind == JsonValueKind.String)
        {
            prompt = prompt[0];
        }

        if (prompt.ValueKind == JsonValueKind.String)
        {
            if (tokenizer is null)
            {
                throw new InvalidRequestException("prompt", "this model has no tokenizer.json; send the prompt as token ids");
            }

            var ids = tokenizer.Encode(prompt.GetString()!);
            return [tokenizer.BosTokenId, .. ids];
        }

        if (prompt.ValueKind == JsonValueKind.Array && prompt.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            return [.. prompt.EnumerateArray().Select(e => e.TryGetInt32(out int id) && id >= 0
                ? id
                : throw new InvalidRequestException("prompt", "token ids must be non-negative integers"))];
        }

        throw new InvalidRequestException("prompt", "'prompt' must be a string or an array of token ids (batches of prompts are not supported)");
    }

    private static string Content(JsonElement message, int index)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            // Content parts: only text parts can be served by a text model.
            return string.Concat(content.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && type.GetString() == "text"
                    && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                    ? text.GetString()
                    : throw new InvalidRequestException($"messages[{index}].content", "only text content parts are supported")));
        }

        throw new InvalidRequestException($"messages[{index}].content", $"messages[{index}].content must be a string or an array of text parts");
    }

    private static string[] Stop(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        string[] stops = stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
                [.. stop.EnumerateArray().Select(s => s.GetString()!)],
            _ => throw new InvalidRequestException("stop", "'stop' must be a string or an array of strings"),
        };
        if (stops.Length > 4 || stops.Any(s => s.Length == 0))
        {
            throw new InvalidRequestException("stop", "'stop' takes up to 4 non-empty strings");
        }

        return stops;
    }

    private static int[] IntArray(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return value.ValueKind == JsonValueKind.Array
            ? [.. value.EnumerateArray().Select(e => e.TryGetInt32(out int id) ? id : throw new InvalidRequestException(name, $"'{name}' must be integers"))]
            : throw new InvalidRequestException(name, $"'{name}' must be an array of integers");
    }

    private static bool Stream(JsonElement body) => OptionalBool(body, "stream") ?? false;

    private static bool IncludeUsage(JsonElement body) =>
        body.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
        && options.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;

    private static string? Model(JsonElement body) =>
        body.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null;

    private static void RequireObject(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("body", "the request body must be a JSON object");
        }
    }

    private static bool? OptionalBool(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.True ? true
        : value.ValueKind == JsonValueKind.False ? false
        : throw new InvalidRequestException(name, $"'{name}' must be a boolean");

    private static int? OptionalInt(JsonElement body, string name, int min, int max)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) && number >= min && number <= max
            ? number
            : throw new InvalidRequestException(name, $"'{name}' must be an integer between {min} and {max}");
    }

    private static long? OptionalLong(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number
        : throw new InvalidRequestException(name, $"'{name}' must be an integer");

    private static float? OptionalFloat(JsonElement body, string name, float min, float max)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetSingle(out float number) && number >= min && number <= max
            ? number
            : throw new InvalidRequestException(name, $"'{name}' must be a number between {min} and {max}");
    }
}
