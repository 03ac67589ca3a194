using System.Net;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Api;

/// <summary>API keys (401) and the bounded queue (429 with Retry-After).</summary>
public sealed class AccessApiTests
{
    [Fact]
    public async Task Completion_ApiKeysConfigured_MissingOrWrongKeyIs401_RightKeyServes()
    {
        await using var server = await ServerFixture.StartAsync(GoldenData.Directory("tiny-bf16"), apiKeys: ["sk-right"]);
        const string Request = """{"prompt": [1, 2, 3], "max_tokens": 2}""";

        var missing = await server.PostAsync("/v1/completions", Request);
        var wrong = await server.PostAsync("/v1/completions", Request, apiKey: "sk-wrong");
        var right = await server.PostAsync("/v1/completions", Request, apiKey: "sk-right");

        Assert.Equal(401, missing.Status);
        Assert.Equal("invalid_api_key", missing.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(401, wrong.Status);
        Assert.Equal(200, right.Status);
    }

    [Fact]
    public async Task Completion_QueueFull_Is429WithRetryAfter()
    {
        await using var server = await ServerFixture.StartAsync(GoldenData.Directory("tiny-bf16"),
            new EngineOptions { KvCacheTokens = 256, MaxWaitingRequests = 0 });

        var (status, body, response) = await server.PostAsync("/v1/completions", """{"prompt": [1, 2, 3], "max_tokens": 2}""");

        Assert.Equal(429, status);
        Assert.Equal("rate_limit_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task Health_ModelDirectoryWithoutCheckpoint_ReportsFailedAndRequestsGet503()
    {
        string empty = Path.Combine(Path.GetTempPath(), "dsv3-empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        var app = ServerHost.Build(new ServeOptions { ModelDirectory = empty, Port = 0, GrpcPort = 0 });
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Urls.First());
            using var client = new HttpClient { BaseAddress = address };
            string health;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            do
            {
                await Task.Delay(10, timeout.Token);
                using var reply = await client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
                health = await reply.Content.ReadAsStringAsync(timeout.Token);
            }
            while (!health.Contains("failed", StringComparison.Ordinal));

            var response = await client.PostAsync(new Uri("/v1/completions", UriKind.Relative), new StringContent("""{"prompt": [1]}"""));
            Assert.Contains("config.json", health, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(empty, recursive: true);
        }
    }
}
