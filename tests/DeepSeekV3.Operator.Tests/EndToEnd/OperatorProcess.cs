using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DeepSeekV3.Operator.Commands;
using DeepSeekV3.Operator.Tests.ApiServer;

namespace DeepSeekV3.Operator.Tests.EndToEnd;

/// <summary>The real deepseek-operator binary (`dotnet deepseek-operator.dll run`) against a test cluster.</summary>
public sealed class OperatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private OperatorProcess(Process process, int metricsPort, string identity)
    {
        _process = process;
        MetricsPort = metricsPort;
        Identity = identity;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int MetricsPort { get; }

    public string Identity { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static OperatorProcess Start(TestCluster cluster, string identity, params string[] flags)
    {
        int port = FreePort();
        string dll = typeof(RunCommand).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { dll, "run", "--kubeconfig", cluster.Kubeconfig, "--metrics-port", port.ToString(CultureInfo.InvariantCulture), "--bind-address", "127.0.0.1", "--identity", identity }.Concat(flags))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KUBERNETES_SERVICE_HOST"] = ""; // never mistake the test machine for a pod
        return new OperatorProcess(Process.Start(start)!, port, identity);
    }

    /// <summary>SIGKILL: the process stops renewing its Lease without releasing it.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as the kubelet sends it; waits for the exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until the process serves /readyz (its caches are synced), so later reads of /metrics find it.</summary>
    public Task WaitReadyAsync() => Eventually.TrueAsync(async () =>
    {
        using var http = new HttpClient();
        try
        {
            return (await http.GetAsync(new Uri($"http://127.0.0.1:{MetricsPort}/readyz"))).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }, TimeSpan.FromSeconds(120), () => $"{Identity} ready ({(HasExited ? $"exited {ExitCode}" : "running")}); log:\n{Log}");

    public async Task<string> MetricsAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
