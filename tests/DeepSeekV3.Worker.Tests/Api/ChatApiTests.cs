using System.Text.Json;

namespace DeepSeekV3.Worker.Tests.Api;

/// <summary>/v1/chat/completions on a generated tiny checkpoint that has a tokenizer: text in, text out.</summary>
public sealed class ChatApiTests : IAsyncLifetime, IDisposable
{
    private const string Messages = """[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Hello, 世界! 👋"}]""";

    private readonly TempModel _model = new(fp8: true);
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync(_model.Path);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task Chat_NonStreaming_ReturnsAssistantMessageAndUsage()
    {
        var (status, body, _) = await _server.PostAsync("/v1/chat/completions",
            $$"""{"model": "test-model", "messages": {{Messages}}, "max_tokens": 12, "temperature": 0}""");

        Assert.Equal(200, status);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = body.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 10);
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, 12);
    }

    [Fact]
    public async Task Chat_Stream_DeltasConcatenateToTheNonStreamingAnswer()
    {
        string request = $$"""{"messages": {{Messages}}, "max_tokens": 16, "temperature": 0, "ignore_eos": true""";
        var (_, whole, _) = await _server.PostAsync("/v1/chat/completions", request + "}");

        string stream = await _server.PostRawAsync("/v1/chat/completions", request + """, "stream": true, "stream_options": {"include_usage": true}}""");

        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        string text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var content) ? content.GetString() : ""));
        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), text);
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(16, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Chat_StopString_EndsBeforeItAndIsExcluded()
    {
        string request = $$"""{"messages": {{Messages}}, "max_tokens": 24, "temperature": 0, "ignore_eos": true""";
        var (_, whole, _) = await _server.PostAsync("/v1/chat/completions", request + "}");
        string full = whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.True(full.Length >= 8, $"the greedy answer '{full}' is too short to cut");
        string stop = full.Substring(full.Length / 2, 2);
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];

        var (status, body, _) = await _server.PostAsync("/v1/chat/completions",
            request + $$""", "stop": [{{JsonSerializer.Serialize(stop, ApiTestJsonContext.Default.String)}}]}""");

        Assert.Equal(200, status);
        Assert.Equal(expected, body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Chat_Logprobs_HaveTokensAndTopAlternatives()
    {
        var (_, body, _) = await _server.PostAsync("/v1/chat/completions",
            $$"""{"messages": {{Messages}}, "max_tokens": 4, "temperature": 0, "ignore_eos": true, "logprobs": true, "top_logprobs": 3}""");

        var content = body.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content");
        Assert.Equal(4, content.GetArrayLength());
        foreach (var entry in content.EnumerateArray())
        {
            Assert.InRange(entry.GetProperty("logprob").GetSingle(), -30f, 0f);
            Assert.Equal(3, entry.GetProperty("top_logprobs").GetArrayLength());
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(entry.GetProperty("token").GetString(), entry.GetProperty("top_logprobs")[0].GetProperty("token").GetString());
            Assert.Equal(JsonValueKind.Array, entry.GetProperty("bytes").ValueKind);
        }
    }

    [Theory]
    [InlineData("""{"messages": []}""", "messages")]
    [InlineData("""{"messages": [{"role": "wizard", "content": "x"}]}""", "messages[0].role")]
    [InlineData("""{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", "messages[0].content")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}""", "top_logprobs")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}], "max_tokens": 5000}""", "max_tokens")]
    public async Task Chat_BadRequest_Is400NamingTheParameter(string json, string parameter)
    {
        var (status, body, _) = await _server.PostAsync("/v1/chat/completions", json);

        Assert.Equal(400, status);
        Assert.Equal(parameter, body.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Chat_ClientDisconnectsMidStream_RequestIsCancelledAndBlocksFreed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = new StringContent($$"""{"messages": {{Messages}}, "max_tokens": 3000, "ignore_eos": true, "stream": true}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[256];
        Assert.True(await stream.ReadAsync(buffer) > 0);

        response.Dispose(); // the client goes away mid-stream

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        JsonElement health;
        do
        {
            await Task.Delay(20, timeout.Token);
            health = JsonDocument.Parse(await _server.Client.GetStringAsync(new Uri("/health", UriKind.Relative), timeout.Token)).RootElement;
        }
        while (health.GetProperty("running_requests").GetInt32() != 0
            || health.GetProperty("kv_blocks_free").GetInt32() != health.GetProperty("kv_blocks_total").GetInt32());
    }
}
