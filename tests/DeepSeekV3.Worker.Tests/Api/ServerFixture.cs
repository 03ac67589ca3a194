using System.Text;
using System.Text.Json;
using DeepSeekV3.Worker.Serving;
using Microsoft.AspNetCore.Builder;

namespace DeepSeekV3.Worker.Tests.Api;

/// <summary>The real <c>dsv3 serve</c> application on a free loopback port, ready (model loaded) when created.</summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServerFixture(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public static async Task<ServerFixture> StartAsync(string modelDirectory, EngineOptions? engine = null,
        IReadOnlyList<string>? apiKeys = null, string? servedModelName = "test-model")
    {
        var app = ServerHost.Build(new ServeOptions
        {
            ModelDirectory = modelDirectory,
            Port = 0,
            GrpcPort = 0,
            ServedModelName = servedModelName,
            ApiKeys = apiKeys ?? [],
            Engine = engine ?? new EngineOptions { KvCacheTokens = 2048 },
        });
        await app.StartAsync();
        string address = app.Urls.First();
        var fixture = new ServerFixture(app, new Uri(address));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await fixture.Client.GetAsync(new Uri("/health", UriKind.Relative), timeout.Token)).StatusCode != System.Net.HttpStatusCode.OK)
        {
            await Task.Delay(20, timeout.Token);
        }

        return fixture;
    }

    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string json, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        var response = await Client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return ((int)response.StatusCode, document.RootElement.Clone(), response);
    }

    public async Task<string> PostRawAsync(string path, string json)
    {
        using var response = await Client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
