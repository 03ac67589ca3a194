using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// Child processes of this same dsv3 binary, one per role, on loopback ports: what <c>dsv3 up</c> starts and stops.
/// Children are stopped with SIGTERM (they drain), then killed if they outlive the grace period.
/// </summary>
public sealed partial class LocalCluster : IDisposable
{
    private readonly List<(string Name, Process Process, int HttpPort)> _children = [];

    public IReadOnlyList<(string Name, Process Process, int HttpPort)> Children => _children;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// <paramref name="count"/> distinct free ports: all listeners are open at once, so the kernel cannot hand the same
    /// port out twice (asking one at a time can, once the previous listener is closed).
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>Starts <c>dsv3 serve</c> with <paramref name="arguments"/>; its output goes to <paramref name="logFile"/>. Returns its pid.</summary>
    public int Start(string name, int httpPort, IEnumerable<string> arguments, string logFile)
    {
        // Under `dotnet run` or `dotnet dsv3.dll` the process is dotnet and the program is the entry assembly.
        string host = Environment.ProcessPath!;
        var start = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? new ProcessStartInfo(host, [typeof(LocalCluster).Assembly.Location, "serve", .. arguments])
            : new ProcessStartInfo(host, ["serve", .. arguments]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.Exited += (_, _) => { lock (log) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _children.Add((name, process, httpPort));
        return process.Id;
    }

    /// <summary>Polls every child's /health until all answer 200; progress lines as the count changes.</summary>
    public async Task<bool> WaitUntilReadyAsync(TextWriter output, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        int lastReady = -1;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (_children.FirstOrDefault(c => c.Process.HasExited) is { Process: not null } dead)
            {
                output.WriteLine($"{dead.Name} exited with code {dead.Process.ExitCode}");
                return false;
            }

            int ready = 0;
            foreach (var child in _children)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{child.HttpPort}/health"), cancellationToken);
                    ready += response.IsSuccessStatusCode ? 1 : 0;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // slow to answer while loading
                }
            }

            if (ready != lastReady)
            {
                output.WriteLine($"ready: {ready}/{_children.Count} ({string.Join(", ", _children.Select(c => c.Name))})");
                lastReady = ready;
            }

            if (ready == _children.Count)
            {
                return true;
            }

            await Task.Delay(200, cancellationToken);
        }

        return false;
    }

    /// <summary>SIGTERM to every child (they drain), then kill whatever still runs after the grace period.</summary>
    public void Dispose()
    {
        foreach (var (_, process, _) in _children.Where(c => !c.Process.HasExited))
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                _ = SendSignal(process.Id, 15);
            }
            else
            {
                process.Kill();
            }
        }

        foreach (var (_, process, _) in _children)
        {
            if (!process.WaitForExit(TimeSpan.FromSeconds(35)))
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
