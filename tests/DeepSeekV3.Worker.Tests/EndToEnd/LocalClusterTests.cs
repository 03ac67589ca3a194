using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DeepSeekV3.Worker.Commands;

namespace DeepSeekV3.Worker.Tests.EndToEnd;

/// <summary>
/// `dsv3 up` as a user runs it: real processes (router, prefill, decode) on loopback, on the golden tiny checkpoint,
/// so the disaggregated output can be held against DeepSeek's reference tokens.
/// </summary>
public sealed partial class LocalClusterTests
{
    [Fact]
    public async Task Up_RouterPrefillDecode_GreedyTokensEqualReference_ConcurrentStreamsAllComplete_AndStopsCleanly()
    {
        await using var cluster = await UpProcess.StartAsync(["--decode", "1"]);
        var prompts = GoldenData.Prompts("tiny-bf16");

        foreach (var (tokens, greedy) in prompts)
        {
            Assert.Equal(greedy, await cluster.GreedyTokensAsync(tokens, 9));
        }

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => cluster.GreedyTokensAsync(prompts[i % prompts.Length].Tokens, 9)));
        for (int i = 0; i < concurrent.Length; i++)
        {
            Assert.Equal(prompts[i % prompts.Length].Greedy, concurrent[i]);
        }

        Assert.Equal(0, await cluster.StopAsync());
        Assert.All(cluster.ChildPids, pid => Assert.False(IsAlive(pid), $"child {pid} outlived dsv3 up"));
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(4, 4)]
    public async Task Up_ExpertParallelGroups_GreedyTokensEqualReference_AndAKilledRankFailsCleanly(int groupSize, int redundant)
    {
        await using var cluster = await UpProcess.StartAsync(["--decode", "1", "--group-size", $"{groupSize}", "--redundant-experts", $"{redundant}"]);
        var prompts = GoldenData.Prompts("tiny-bf16");

        foreach (var (tokens, greedy) in prompts)
        {
            Assert.Equal(greedy, await cluster.GreedyTokensAsync(tokens, 9));
        }

        // Child order: prefill-0, its ranks 1..R-1, decode-0, its ranks, router. Kill the decode group's rank 1:
        // requests end (with an error event or a retried answer), none hangs.
        Process.GetProcessById(cluster.ChildPids[groupSize + 1]).Kill();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => cluster.StreamAsync(prompts[0].Tokens, 9))).WaitAsync(timeout.Token);

        Assert.All(outcomes, o => Assert.True(o.Error || (o.Completed && o.Tokens == 9), $"tokens {o.Tokens}, error {o.Error}"));
        Assert.Contains(outcomes, o => o.Error);
    }

    [Fact]
    public async Task Up_DecodeWorkerKilledMidStream_RequestsAreRetriedOrFailCleanly_NoneHangs()
    {
        await using var cluster = await UpProcess.StartAsync(["--decode", "2"]);
        var prompt = GoldenData.Prompts("tiny-bf16")[3];

        // Long generations on both decode workers, then one worker dies with SIGKILL.
        var requests = Enumerable.Range(0, 6).Select(_ => cluster.StreamAsync(prompt.Tokens, 30)).ToArray();
        await Task.Delay(300);
        Process.GetProcessById(cluster.ChildPids[1]).Kill(); // decode-0
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var outcomes = await Task.WhenAll(requests).WaitAsync(timeout.Token);
        var after = await cluster.GreedyTokensAsync(prompt.Tokens, 9);

        // Every stream ended: completed with all its tokens, or ended early with an error event — never hung.
        Assert.All(outcomes, o => Assert.True(o.Completed ? o.Tokens == 30 : o.Error, $"tokens {o.Tokens}, error {o.Error}"));
        Assert.Equal(prompt.Greedy, after); // the surviving worker keeps serving
    }

    [Fact]
    public async Task Up_DecodeWorkerDrainedUnderLoad_LosesNoRequest()
    {
        await using var cluster = await UpProcess.StartAsync(["--decode", "2"]);
        var prompt = GoldenData.Prompts("tiny-bf16")[3];

        var requests = Enumerable.Range(0, 6).Select(_ => cluster.StreamAsync(prompt.Tokens, 25)).ToArray();
        await Task.Delay(200);
        using var decode0 = new DeepSeekV3.Wire.Grpc.GrpcChannel(new Uri($"http://127.0.0.1:{cluster.GrpcPorts[1]}"));
        var drained = await decode0.UnaryAsync(DeepSeekV3.Wire.Services.WorkerMethods.Drain, new DeepSeekV3.Protos.V1.DrainRequest { Wait = true },
            new DeepSeekV3.Wire.Grpc.CallOptions(Deadline: DateTime.UtcNow.AddSeconds(60)));
        var outcomes = await Task.WhenAll(requests);
        var after = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => cluster.GreedyTokensAsync(prompt.Tokens, 9)));

        Assert.True(drained.Drained);
        Assert.All(outcomes, o => Assert.True(o is { Completed: true, Tokens: 25, Error: false }, $"tokens {o.Tokens}, error {o.Error}"));
        Assert.All(after, tokens => Assert.Equal(prompt.Greedy, tokens)); // new work goes to decode-1
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A running `dsv3 up` child process and its router's HTTP client.</summary>
    private sealed partial class UpProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _client;

        private UpProcess(Process process, int port, List<int> children, List<int> grpcPorts)
        {
            _process = process;
            _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            ChildPids = children;
            GrpcPorts = grpcPorts;
        }

        /// <summary>The workers' gRPC ports, in start order (prefill-0, decode-0, ...).</summary>
        public List<int> GrpcPorts { get; }

        /// <summary>prefill-0, decode-0[, decode-1], router — in start order.</summary>
        public List<int> ChildPids { get; }

        public static async Task<UpProcess> StartAsync(string[] arguments)
        {
            int port = LocalCluster.FreePort();
            string dll = typeof(UpCommand).Assembly.Location;
            var process = Process.Start(new ProcessStartInfo("dotnet",
                [dll, "up", "--model", GoldenData.Directory("tiny-bf16"), "--port", port.ToString(CultureInfo.InvariantCulture), .. arguments])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var children = new List<int>();
            var grpcPorts = new List<int>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (StartedLine().Match(line) is { Success: true } started)
                {
                    children.Add(int.Parse(started.Groups[1].Value, CultureInfo.InvariantCulture));
                    if (started.Groups[2].Success)
                    {
                        grpcPorts.Add(int.Parse(started.Groups[2].Value, CultureInfo.InvariantCulture));
                    }
                }

                if (line.StartsWith("ready: OpenAI API", StringComparison.Ordinal))
                {
                    return new UpProcess(process, port, children, grpcPorts);
                }
            }

            throw new InvalidOperationException($"dsv3 up ended before it was ready: {await process.StandardError.ReadToEndAsync(timeout.Token)}");
        }

        public async Task<int[]> GreedyTokensAsync(int[] prompt, int maxTokens)
        {
            var (_, body, _) = await PostAsync(prompt, maxTokens, stream: false);
            return [.. System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("logprobs")
                .GetProperty("tokens").EnumerateArray().Select(t => int.Parse(t.GetString()!.Trim('<', '>'), CultureInfo.InvariantCulture))];
        }

        /// <summary>A streamed request: how many tokens arrived, whether it finished, whether it ended with an error event.</summary>
        public async Task<(int Tokens, bool Completed, bool Error)> StreamAsync(int[] prompt, int maxTokens)
        {
            var (status, body, _) = await PostAsync(prompt, maxTokens, stream: true);
            if (status != 200)
            {
                return (0, false, true);
            }

            int tokens = Regex.Count(body, "\"token_logprobs\"");
            return (tokens, body.Contains("\"finish_reason\":\"length\"", StringComparison.Ordinal), body.Contains("\"error\"", StringComparison.Ordinal));
        }

        /// <summary>SIGTERM, as Ctrl-C would: the children are stopped and dsv3 up exits.</summary>
        public async Task<int> StopAsync()
        {
            using var terminate = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
            await terminate.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                await StopAsync();
            }

            foreach (int pid in ChildPids.Where(IsAlive))
            {
                Process.GetProcessById(pid).Kill();
            }

            _client.Dispose();
            _process.Dispose();
        }

        private async Task<(int Status, string Body, bool Ok)> PostAsync(int[] prompt, int maxTokens, bool stream)
        {
            string json = $$"""{"prompt": [{{string.Join(',', prompt)}}], "max_tokens": {{maxTokens}}, "temperature": 0, "ignore_eos": true, "logprobs": 0, "stream": {{(stream ? "true" : "false")}}}""";
            using var response = await _client.PostAsync(new Uri("/v1/completions", UriKind.Relative), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.IsSuccessStatusCode);
        }

        [GeneratedRegex(@"^started \S+ \(pid (\d+)(?:, http \d+, grpc (\d+))?")]
        private static partial Regex StartedLine();
    }
}
