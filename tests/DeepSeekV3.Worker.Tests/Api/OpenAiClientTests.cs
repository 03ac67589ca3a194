using System.Diagnostics;
using System.Text.Json;

namespace DeepSeekV3.Worker.Tests.Api;

/// <summary>
/// The official OpenAI Node.js client library, unmodified (tests/openai-client, installed by .ci/run with npm ci),
/// against the real server: chat, streaming with usage, logprobs, text completions, models, and a typed error.
/// </summary>
public sealed class OpenAiClientTests
{
    [Fact]
    public async Task OfficialNodeClient_ChatStreamingUsageAndErrors_Work()
    {
        string clientDirectory = Path.Combine(GoldenData.RepositoryRoot, "tests", "openai-client");
        Assert.True(Directory.Exists(Path.Combine(clientDirectory, "node_modules", "openai")),
            $"the OpenAI client is not installed: run 'npm ci' in {clientDirectory} (.ci/run does)");
        using var model = new TempModel();
        await using var server = await ServerFixture.StartAsync(model.Path, apiKeys: ["sk-test"]);

        var start = new ProcessStartInfo("node", ["check.mjs", server.Client.BaseAddress!.ToString().TrimEnd('/'), "test-model", "sk-test"])
        {
            WorkingDirectory = clientDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node exited {process.ExitCode}: {await stderr}");

        using var report = JsonDocument.Parse(await stdout);
        var r = report.RootElement;
        Assert.Equal(["test-model"], r.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var chat = r.GetProperty("chat");
        Assert.Equal("assistant", chat.GetProperty("role").GetString());
        int promptTokens = chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.True(promptTokens > 16);
        // The same conversation again: its full prompt blocks come from the context cache, and greedy output is unchanged.
        var again = r.GetProperty("again");
        Assert.Equal(chat.GetProperty("content").GetString(), again.GetProperty("content").GetString());
        Assert.Equal((promptTokens - 1) / 16 * 16, again.GetProperty("usage").GetProperty("prompt_cache_hit_tokens").GetInt32());
        var stream = r.GetProperty("stream");
        Assert.Equal(chat.GetProperty("content").GetString(), stream.GetProperty("text").GetString());
        Assert.Equal(chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            stream.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(chat.GetProperty("finish").GetString(), stream.GetProperty("finish").GetString());
        Assert.Equal(3, r.GetProperty("logprobs").GetArrayLength());
        Assert.True(r.GetProperty("completion").GetProperty("usage").GetProperty("completion_tokens").GetInt32() >= 1);
        var error = r.GetProperty("error");
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Equal("BadRequestError", error.GetProperty("name").GetString());
        Assert.Equal("temperature", error.GetProperty("param").GetString());
    }
}
