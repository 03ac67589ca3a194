using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 up [--prefill N] [--decode M] [--group-size R] [--redundant-experts D] [--model DIR | --preset tiny|small] [--port P] [--once]</c>: a
/// local deployment with the topology the operator creates on Kubernetes — N prefill and M decode replicas, each a group
/// of R processes splitting the routed experts (each rank serves requests of its own), and a router, as child processes on
/// loopback — shown until ready, then serving the OpenAI API on P until Ctrl-C (or, with --once, answering one chat
/// request and stopping).
/// </summary>
public static class UpCommand
{
    public const string Usage = "dsv3 up [--prefill N] [--decode M] [--group-size R] [--redundant-experts D] [--model DIR | --preset tiny|small] [--port 8000] [--once]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output, CancellationToken cancellationToken)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "once" });
        int prefill = args.Number("prefill", 1, 1, 16);
        int decode = args.Number("decode", 1, 1, 16);
        int groupSize = args.Number("group-size", 1, 1, 16);
        int redundant = args.Number("redundant-experts", 0, 0, 4096);
        int port = args.Number("port", 8000, 0, 65535);
        bool once = args.Flag("once");
        string? model = args.Optional("model");
        string preset = args.Optional("preset") ?? "tiny";
        args.RejectUnknown();
        model ??= MakeModelCommand.EnsureCached(preset, fp8: true, output);
        // Every worker port at once (distinct), never the router's own --port.
        int needed = ((prefill + decode) * groupSize * 2) + 1;
        var free = new Queue<int>(LocalCluster.FreePorts(needed + 1).Where(p => p != port).Take(needed));
        if (port == 0)
        {
            port = free.Dequeue();
        }

        string logs = Path.Combine(Path.GetTempPath(), "dsv3-up-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(logs);
        using var cluster = new LocalCluster();
        var prefillGrpc = new List<string>();
        var decodeGrpc = new List<string>();
        for (int i = 0; i < prefill + decode; i++)
        {
            bool isPrefill = i < prefill;
            string replica = isPrefill ? $"prefill-{i}" : $"decode-{i - prefill}";
            var ports = Enumerable.Range(0, groupSize).Select(_ => (Http: free.Dequeue(), Grpc: free.Dequeue())).ToList();
            string peers = string.Join(',', ports.Select(p => $"127.0.0.1:{p.Grpc}"));
            // Every rank runs attention for its own requests (data-parallel attention): the router knows them all.
            (isPrefill ? prefillGrpc : decodeGrpc).AddRange(ports.Select(p => $"127.0.0.1:{p.Grpc}"));
            for (int rank = 0; rank < groupSize; rank++)
            {
                string name = rank == 0 ? replica : $"{replica}-rank{rank}";
                var (http, grpc) = ports[rank];
                string[] group = groupSize == 1 ? [] : ["--rank", $"{rank}", "--group-size", $"{groupSize}", "--peers", peers, "--redundant-experts", $"{redundant}"];
                int pid = cluster.Start(name, http, ["--role", isPrefill ? "prefill" : "decode", "--model", model, "--port", $"{http}", "--grpc-port", $"{grpc}",
                    "--served-model-name", "deepseek-v3-demo", .. group], Path.Combine(logs, name + ".log"));
                output.WriteLine($"started {name} (pid {pid}, http {http}, grpc {grpc})");
            }
        }

        int routerPid = cluster.Start("router", port, ["--role", "router", "--model", model, "--port", $"{port}", "--served-model-name", "deepseek-v3-demo",
            .. prefillGrpc.SelectMany(a => new[] { "--prefill", a }), .. decodeGrpc.SelectMany(a => new[] { "--decode", a })],
            Path.Combine(logs, "router.log"));
        output.WriteLine($"started router (pid {routerPid}, http {port})");
        output.WriteLine($"starting {prefill} prefill + {decode} decode {(groupSize == 1 ? "workers" : $"groups of {groupSize} ranks")} and a router on {model} (logs in {logs})");
        try
        {
            if (!cluster.WaitUntilReadyAsync(output, TimeSpan.FromMinutes(10), cancellationToken).GetAwaiter().GetResult())
            {
                output.WriteLine($"the cluster did not become ready; see the logs in {logs}");
                return 1;
            }

            // The router reports ready before its first look at the workers' load; give it that look.
            WaitForRouterAsync(port, cancellationToken).GetAwaiter().GetResult();
            string endpoint = $"http://127.0.0.1:{port}/v1";
            output.WriteLine($"ready: OpenAI API at {endpoint} (model \"deepseek-v3-demo\")");
            output.WriteLine($$"""  curl {{endpoint}}/chat/completions -H 'Content-Type: application/json' -d '{"model": "deepseek-v3-demo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16}'""");
            if (once)
            {
                output.WriteLine(AskAsync(endpoint, cancellationToken).GetAwaiter().GetResult());
                return 0;
            }

            output.WriteLine("press Ctrl-C to stop");
            cancellationToken.WaitHandle.WaitOne();
            output.WriteLine("stopping (workers drain first)");
            return 0;
        }
        catch (OperationCanceledException)
        {
            output.WriteLine("stopping");
            return 0;
        }
    }

    private static async Task WaitForRouterAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new HttpClient();
        for (int i = 0; i < 50; i++)
        {
            using var response = await client.PostAsync(new Uri($"http://127.0.0.1:{port}/v1/completions"),
                new StringContent("""{"prompt": [0, 1], "max_tokens": 1}""", Encoding.UTF8, "application/json"), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<string> AskAsync(string endpoint, CancellationToken cancellationToken)
    {
        using var client = new HttpClient();
        const string Request = """{"model": "deepseek-v3-demo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16, "temperature": 0}""";
        using var content = new StringContent(Request, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(new Uri(endpoint + "/chat/completions"), content, cancellationToken);
        return $"POST /v1/chat/completions {Request}\n→ {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
    }
}
