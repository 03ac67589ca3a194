using System.Diagnostics;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>Runs the grpcio scripts with Debian's /usr/bin/python3 (which has python3-grpcio; the PATH python does not).</summary>
internal static class PythonPeer
{
    public const string Python = "/usr/bin/python3";

    public static string ScriptDirectory => Path.Combine(AppContext.BaseDirectory, "Interop", "python");

    public static ProcessStartInfo StartInfo(string script, params string[] arguments)
    {
        Assert.True(File.Exists(Python), "Debian's /usr/bin/python3 with python3-grpcio is needed (.ci/run installs it)");
        var start = new ProcessStartInfo(Python, [Path.Combine(ScriptDirectory, script), .. arguments])
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return start;
    }

    /// <summary>Runs a script to completion (bounded): exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string script, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(script, arguments))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
