using System.Diagnostics;
using System.Globalization;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>grpcio's TestService (interop_server.py) on a free loopback port for the life of the test class.</summary>
public sealed class PythonServerFixture : IAsyncLifetime
{
    private Process _process = null!;

    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _process = Process.Start(PythonPeer.StartInfo("interop_server.py", "--lifetime", "300"))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        if (!int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"interop_server.py did not print its port: '{line}' {await _process.StandardError.ReadToEndAsync(timeout.Token)}");
        }

        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Task DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        return Task.CompletedTask;
    }
}
