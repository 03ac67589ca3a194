using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Kubernetes.TestApiServer;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Commands;
using DeepSeekV3.Operator.Controller;
using DeepSeekV3.Operator.Crds;

namespace DeepSeekV3.Operator.Bench;

/// <summary>
/// Reconciles N DeepSeekDeployments with the real deepseek-operator process against the Kubernetes API test
/// server: time to steady state (every deployment Available at its generation), reconciles per second, API
/// requests per deployment against the fewest possible (one create per child), the operator's peak memory, and
/// what the operator does once everything is settled (nothing, if it is level-triggered and idempotent).
/// usage: dotnet run -c Release --project bench/DeepSeekV3.Operator.Bench -- [--deployments N] [--workers W]
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int deployments = Flag(args, "--deployments", 1000), workers = Flag(args, "--workers", 8);
        long requests = 0, writes = 0;
        await using var server = await KubernetesTestServer.StartAsync(new TestServerOptions
        {
            OnRequest = (method, _) =>
            {
                Interlocked.Increment(ref requests);
                if (method != "GET")
                {
                    Interlocked.Increment(ref writes);
                }
            },
        });
        string crdPath = FindUp(Path.Combine("crds", "deepseekv3.io_deepseekdeployments.yaml"));
        server.InstallCrd(YamlText.ReadDocuments(File.ReadAllText(crdPath))[0].AsObject());
        string kubeconfig = server.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"dsv3-bench-{Environment.ProcessId}.kubeconfig"));
        using var client = new KubernetesClient(Kubeconfig.Load(kubeconfig));

        int metricsPort = FreePort();
        using var op = StartOperator(kubeconfig, metricsPort, workers);
        using var http = new HttpClient();
        await WaitAsync(async () => (await http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/readyz"))).IsSuccessStatusCode, TimeSpan.FromSeconds(60));
        Console.WriteLine($"deepseek-operator reconcile benchmark: {deployments} DeepSeekDeployments (1 prefill + 1 decode group each), {workers} workers, {Environment.ProcessorCount} cores");

        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, deployments, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, token) =>
        {
            var deployment = Deployment($"dsd-{i:D4}", $"bench-{i % 10}");
            await client.CreateAsync(ClusterCache.DeepSeekDeployments, deployment, OperatorJsonContext.Default.DeepSeekDeployment, token);
        });
        var created = clock.Elapsed;
        long requestsBeforeOperatorWork = requests;
        int available = 0;
        await WaitAsync(async () =>
        {
            var list = await client.ListAsync(ClusterCache.DeepSeekDeployments, null, OperatorJsonContext.Default.KubernetesListDeepSeekDeployment);
            available = list.Items.Count(d => d.Status?.Phase == DeploymentPhase.Available && d.Status.ObservedGeneration == d.Metadata.Generation);
            return available == deployments;
        }, TimeSpan.FromMinutes(15));
        var steady = clock.Elapsed;
        double reconciles = await ReconcilesAsync(http, metricsPort);
        long requestsToSteady = requests - requestsBeforeOperatorWork;
        int children = DeepSeekV3.Operator.Desired.DesiredState.Build(Deployment("x", "y")).All.Count();

        long idleRequestsBefore = requests;
        double idleReconcilesBefore = reconciles;
        await Task.Delay(TimeSpan.FromSeconds(5));
        long idleRequests = requests - idleRequestsBefore;
        double idleReconciles = await ReconcilesAsync(http, metricsPort) - idleReconcilesBefore;
        long peak = PeakResidentBytes(op.Id);

        Console.WriteLine($"  created {deployments} deployments in {created.TotalSeconds:F1} s");
        Console.WriteLine($"  time to steady state: {steady.TotalSeconds:F1} s from the first create ({deployments / steady.TotalSeconds:F1} deployments/s reach Available)");
        Console.WriteLine($"  reconciles: {reconciles:F0} in {steady.TotalSeconds:F1} s = {reconciles / steady.TotalSeconds:F0} reconciles/s ({reconciles / deployments:F1} per deployment)");
        Console.WriteLine($"  API requests by everyone after the creates: {requestsToSteady} ({(double)requestsToSteady / deployments:F1} per deployment; the fewest writes for one is {children} child creates + 1 status)");
        Console.WriteLine($"  operator peak memory (VmHWM): {peak / (1024.0 * 1024.0):F0} MiB ({peak / (double)deployments / 1024:F0} KiB per deployment)");
        Console.WriteLine($"  settled for 5 s: {idleReconciles:F0} reconciles, {idleRequests} API requests (watches stay open)");
        Console.WriteLine($"  objects in the API server: {server.Store.List(server.Kinds.Get("pods"), null, LabelQuery.Parse(null)).Items.Count} pods, "
            + $"{server.Store.List(server.Kinds.Get("statefulsets"), null, LabelQuery.Parse(null)).Items.Count} StatefulSets, writes seen {writes}");
        op.Kill(entireProcessTree: true);
        await op.WaitForExitAsync();
        File.Delete(kubeconfig);
        return 0;
    }

    private static DeepSeekDeployment Deployment(string name, string ns) => new()
    {
        ApiVersion = DeepSeekDeployment.ApiVersionValue,
        Kind = DeepSeekDeployment.KindName,
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Spec = new DeepSeekDeploymentSpec
        {
            Model = new ModelSpec { Name = "deepseek-ai/DeepSeek-V3", Source = new ModelSource { Pvc = new PvcSource { ClaimName = "weights" } } },
            Image = "ghcr.io/deepseekv3-cluster/dsv3:0.1.0",
            Prefill = new PoolSpec { Replicas = 1, NodesPerReplica = 1, GpusPerNode = 8, GpuMemoryGiB = 141 },
            Decode = new PoolSpec { Replicas = 1, NodesPerReplica = 1, GpusPerNode = 8, GpuMemoryGiB = 141 },
            Router = new RouterSpec { Replicas = 1 },
        },
    };

    private static Process StartOperator(string kubeconfig, int metricsPort, int workers)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[]
        {
            typeof(RunCommand).Assembly.Location, "run", "--kubeconfig", kubeconfig, "--bind-address", "127.0.0.1",
            "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture), "--workers", workers.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning"; // a thousand deployments log a lot; keep it off the clock
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("operator: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<double> ReconcilesAsync(HttpClient http, int port)
    {
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        return text.Split('\n').Where(l => l.StartsWith("dsv3_operator_reconciles_total{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static long PeakResidentBytes(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not reached within {timeout}");
            }

            await Task.Delay(250);
        }
    }

    private static int Flag(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string FindUp(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, relative)))
            {
                return Path.Combine(directory.FullName, relative);
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
