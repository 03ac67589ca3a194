using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench serve</c>: a load generator for an OpenAI-compatible server (ours, started in-process on a
/// checkpoint, or any at --url). Streams /v1/completions requests with token-id prompts at a fixed concurrency and
/// prints throughput, time to first token and inter-token latency percentiles, and the context-cache hit rate.
/// </summary>
public static class ServeBenchCommand
{
    public const string Usage =
        "dsv3 bench serve [--url URL | --model DIR | --preset tiny|small] [--concurrency N] [--requests N] [--prompt-tokens N] [--output-tokens N] [--shared-prefix 0..1] [--api-key KEY]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string>());
        string? url = args.Optional("url");
        string? model = args.Optional("model");
        string preset = args.Optional("preset") ?? "tiny";
        int concurrency = args.Number("concurrency", 8, 1, 4096);
        int requests = args.Number("requests", 64, 1, 1_000_000);
        int promptTokens = args.Number("prompt-tokens", 128, 1, 1 << 20);
        int outputTokens = args.Number("output-tokens", 32, 1, 1 << 20);
        string? apiKey = args.Optional("api-key");
        string sharedText = args.Optional("shared-prefix") ?? "0.5";
        args.RejectUnknown();
        if (!double.TryParse(sharedText, NumberStyles.Float, CultureInfo.InvariantCulture, out double shared) || shared is < 0 or > 1)
        {
            throw new UsageException($"--shared-prefix must be a number between 0 and 1, not '{sharedText}'");
        }

        var load = new LoadShape(concurrency, requests, promptTokens, outputTokens, shared);
        if (url is not null)
        {
            var report = RunLoadAsync(new Uri(url), apiKey, load).GetAwaiter().GetResult();
            Print(output, url, load, report);
            return 0;
        }

        model ??= MakeModelCommand.EnsureCached(preset, fp8: false, output);
        var app = ServerHost.Build(new ServeOptions
        {
            ModelDirectory = model,
            Port = 0,
            GrpcPort = 0,
            Engine = new EngineOptions { KvCacheTokens = Math.Max(16384, concurrency * (promptTokens + outputTokens + 32)), MaxRunningSequences = Math.Max(64, concurrency) },
        });
        app.StartAsync().GetAwaiter().GetResult();
        try
        {
            var address = new Uri(app.Urls.First());
            WaitUntilReady(address);
            var report = RunLoadAsync(address, apiKey, load).GetAwaiter().GetResult();
            Print(output, $"in-process server on {model}", load, report);
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
        }

        return 0;
    }

    private static void WaitUntilReady(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address };
        var deadline = Stopwatch.StartNew();
        while (client.GetAsync(new Uri("/health", UriKind.Relative)).GetAwaiter().GetResult().StatusCode != System.Net.HttpStatusCode.OK)
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new IOException("the server did not become ready within 5 minutes");
            }

            Thread.Sleep(50);
        }
    }

    private static async Task<LoadReport> RunLoadAsync(Uri address, string? apiKey, LoadShape load)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        var random = new DeterministicRandom(7);
        int sharedLength = (int)(load.PromptTokens * load.SharedPrefix);
        var prefix = Enumerable.Range(0, sharedLength).Select(_ => 3 + (int)(random.NextUInt64() % 997)).ToArray();
        var prompts = Enumerable.Range(0, load.Requests).Select(_ =>
            prefix.Concat(Enumerable.Range(0, load.PromptTokens - sharedLength).Select(_ => 3 + (int)(random.NextUInt64() % 997))).ToArray()).ToArray();

        var results = new RequestResult[load.Requests];
        int next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, load.Concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < load.Requests)
            {
                results[index] = await SendAsync(client, prompts[index], load.OutputTokens);
            }
        }));
        return new LoadReport(results, clock.Elapsed);
    }

    private static async Task<RequestResult> SendAsync(HttpClient client, int[] prompt, int outputTokens)
    {
        string body = $$"""{"prompt": [{{string.Join(',', prompt)}}], "max_tokens": {{outputTokens}}, "temperature": 0, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true}, "logprobs": 0}""";
        var start = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/completions", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            return new RequestResult(false, [], 0, 0);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var arrivals = new List<double>();
        int cached = 0, promptCount = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }

            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            var root = chunk.RootElement;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                cached = usage.GetProperty("prompt_cache_hit_tokens").GetInt32();
                promptCount = usage.GetProperty("prompt_tokens").GetInt32();
            }

            if (root.GetProperty("choices") is { ValueKind: JsonValueKind.Array } choices && choices.GetArrayLength() > 0
                && choices[0].GetProperty("logprobs").ValueKind == JsonValueKind.Object)
            {
                arrivals.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }

        return new RequestResult(true, [.. arrivals], cached, promptCount);
    }

    private static void Print(TextWriter output, string target, LoadShape load, LoadReport report)
    {
        var ok = report.Results.Where(r => r.Succeeded).ToArray();
        var ttft = ok.Where(r => r.Arrivals.Length > 0).Select(r => r.Arrivals[0]).Order().ToArray();
        var itl = ok.SelectMany(r => r.Arrivals.Zip(r.Arrivals.Skip(1), (a, b) => b - a)).Order().ToArray();
        long generated = ok.Sum(r => (long)r.Arrivals.Length);
        long prompt = ok.Sum(r => (long)r.PromptTokens);
        long cached = ok.Sum(r => (long)r.CachedTokens);
        double seconds = report.Elapsed.TotalSeconds;
        output.WriteLine(FormattableString.Invariant($"target: {target}"));
        output.WriteLine(FormattableString.Invariant(
            $"load: {load.Requests} requests, concurrency {load.Concurrency}, prompt {load.PromptTokens} tokens ({load.SharedPrefix:P0} shared prefix), output {load.OutputTokens} tokens"));
        output.WriteLine(FormattableString.Invariant($"completed {ok.Length}/{load.Requests} in {seconds:F2} s"));
        output.WriteLine(FormattableString.Invariant(
            $"throughput: {generated / seconds:F1} output tokens/s, {(generated + prompt) / seconds:F1} total tokens/s, {ok.Length / seconds:F2} requests/s"));
        output.WriteLine(FormattableString.Invariant(
            $"time to first token: p50 {Percentile(ttft, 0.5) * 1000:F1} ms, p99 {Percentile(ttft, 0.99) * 1000:F1} ms"));
        output.WriteLine(FormattableString.Invariant(
            $"inter-token latency: p50 {Percentile(itl, 0.5) * 1000:F2} ms, p99 {Percentile(itl, 0.99) * 1000:F2} ms"));
        output.WriteLine(FormattableString.Invariant(
            $"context cache: {cached} of {prompt} prompt tokens hit ({(prompt == 0 ? 0 : (double)cached / prompt):P1})"));
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private sealed record LoadShape(int Concurrency, int Requests, int PromptTokens, int OutputTokens, double SharedPrefix);

    private sealed record RequestResult(bool Succeeded, double[] Arrivals, int CachedTokens, int PromptTokens);

    private sealed record LoadReport(RequestResult[] Results, TimeSpan Elapsed);
}
