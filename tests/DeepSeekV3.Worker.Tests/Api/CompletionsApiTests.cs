using System.Net;
using System.Text.Json;

namespace DeepSeekV3.Worker.Tests.Api;

/// <summary>
/// /v1/completions, /v1/models, /health and the error cases over real HTTP, on the golden tiny checkpoint (which has
/// no tokenizer, so prompts are token ids and logprob tokens read "&lt;id&gt;").
/// </summary>
public sealed class CompletionsApiTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync(GoldenData.Directory("tiny-bf16"));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Completion_TokenIdPrompt_ReturnsReferenceTokensUsageAndLogprobs()
    {
        var golden = GoldenData.Prompts("tiny-bf16")[0];

        var (status, body, _) = await _server.PostAsync("/v1/completions", $$"""
            {"model": "test-model", "prompt": [{{string.Join(',', golden.Tokens)}}], "max_tokens": 9, "temperature": 0,
             "ignore_eos": true, "logprobs": 2}
            """);

        Assert.Equal(200, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var tokens = choice.GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToArray();
        Assert.Equal(golden.Greedy.Select(id => $"<{id}>"), tokens);
        Assert.All(choice.GetProperty("logprobs").GetProperty("token_logprobs").EnumerateArray(), lp => Assert.InRange(lp.GetSingle(), -20f, 0f));
        Assert.Equal(2, choice.GetProperty("logprobs").GetProperty("top_logprobs")[0].EnumerateObject().Count());
        var usage = body.GetProperty("usage");
        Assert.Equal(7, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(9, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(16, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(7, usage.GetProperty("prompt_cache_miss_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_Stream_IsServerSentEventsEndingWithDoneAndUsage()
    {
        var golden = GoldenData.Prompts("tiny-bf16")[2];

        string stream = await _server.PostRawAsync("/v1/completions", $$"""
            {"prompt": [{{string.Join(',', golden.Tokens)}}], "max_tokens": 5, "temperature": 0, "ignore_eos": true,
             "stream": true, "stream_options": {"include_usage": true}, "logprobs": 0}
            """);

        // Every event is one "data: ..." line followed by a blank line (the SSE framing of the WHATWG spec).
        Assert.EndsWith("\n\n", stream, StringComparison.Ordinal);
        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        var tokenChunks = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1
            && c.GetProperty("choices")[0].GetProperty("logprobs").ValueKind == JsonValueKind.Object).ToArray();
        Assert.Equal(golden.Greedy[..5].Select(id => $"<{id}>"),
            tokenChunks.Select(c => c.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("tokens")[0].GetString()));
        var finish = chunks.Single(c => c.GetProperty("choices").GetArrayLength() == 1
            && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.Equal("length", finish.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(5, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.All(chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1),
            c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
    }

    [Fact]
    public async Task Completion_RepeatedPrefix_ReportsCacheHitsInUsage()
    {
        string prompt = string.Join(',', Enumerable.Range(200, 40));
        string request = $$"""{"prompt": [{{prompt}}], "max_tokens": 2, "temperature": 0}""";

        var (_, first, _) = await _server.PostAsync("/v1/completions", request);
        var (_, second, _) = await _server.PostAsync("/v1/completions", request);

        Assert.Equal(0, first.GetProperty("usage").GetProperty("prompt_cache_hit_tokens").GetInt32());
        Assert.Equal(32, second.GetProperty("usage").GetProperty("prompt_cache_hit_tokens").GetInt32());
        Assert.Equal(8, second.GetProperty("usage").GetProperty("prompt_cache_miss_tokens").GetInt32());
        Assert.Equal(32, second.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(first.GetProperty("choices")[0].GetProperty("text").GetString(), second.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Completion_ManyConcurrentClients_EachGetsItsOwnAnswer()
    {
        var prompts = GoldenData.Prompts("tiny-bf16");

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            var golden = prompts[i % prompts.Length];
            var (status, body, _) = await _server.PostAsync("/v1/completions", $$"""
                {"prompt": [{{string.Join(',', golden.Tokens)}}], "max_tokens": 9, "temperature": 0, "ignore_eos": true, "logprobs": 0}
                """);
            return (golden.Greedy, status, body);
        }));

        foreach (var (greedy, status, body) in answers)
        {
            Assert.Equal(200, status);
            Assert.Equal(greedy.Select(id => $"<{id}>"),
                body.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()));
        }
    }

    [Theory]
    [InlineData("{\"prompt\": [1, 2], \"temperature\": 3}", "temperature")]
    [InlineData("{\"prompt\": [1, 2], \"n\": 2}", "n")]
    [InlineData("{\"prompt\": [1, 2], \"max_tokens\": 0}", "max_tokens")]
    [InlineData("{\"prompt\": [1, 2], \"max_tokens\": 500}", "max_tokens")]
    [InlineData("{\"prompt\": [1, 2], \"top_p\": 0}", "top_p")]
    [InlineData("{\"prompt\": [1, 2], \"stop\": 7}", "stop")]
    [InlineData("{\"prompt\": [1, 99999]}", "prompt")]
    [InlineData("{\"prompt\": \"text needs a tokenizer\"}", "prompt")]
    [InlineData("{\"max_tokens\": 3}", "prompt")]
    [InlineData("[1, 2]", "body")]
    public async Task Completion_BadParameter_Is400NamingIt(string json, string parameter)
    {
        var (status, body, _) = await _server.PostAsync("/v1/completions", json);

        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(parameter, body.GetProperty("error").GetProperty("param").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Completion_InvalidJson_Is400()
    {
        var (status, body, _) = await PostTextAsync("{\"prompt\": [1, 2");

        Assert.Equal(400, status);
        Assert.Contains("not valid JSON", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_ModelWithoutTokenizer_Is400OnMessages()
    {
        var (status, body, _) = await _server.PostAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}]}""");

        Assert.Equal(400, status);
        Assert.Equal("messages", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Completion_UnknownModel_Is404ModelNotFound()
    {
        var (status, body, _) = await _server.PostAsync("/v1/completions", """{"model": "gpt-9", "prompt": [1, 2]}""");

        Assert.Equal(404, status);
        Assert.Equal("model_not_found", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Models_ListsServedModel_AndHealthIsOk()
    {
        var models = JsonDocument.Parse(await _server.Client.GetStringAsync(new Uri("/v1/models", UriKind.Relative))).RootElement;
        var health = await _server.Client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Equal("test-model", models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal(128, models.GetProperty("data")[0].GetProperty("max_model_len").GetInt32());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private async Task<(int, JsonElement, HttpResponseMessage)> PostTextAsync(string text) =>
        await _server.PostAsync("/v1/completions", text);
}
