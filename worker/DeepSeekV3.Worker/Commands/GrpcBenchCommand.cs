using System.Globalization;
using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Commands;

/// <summary><c>dsv3 bench grpc</c>: our gRPC transport vs grpcio (C-core) on loopback, in one run.</summary>
public static class GrpcBenchCommand
{
    public const string Usage = "dsv3 bench grpc [--requests N] [--payload-bytes N] [--stream-messages N] [--message-bytes N]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string>());
        int requests = args.Number("requests", 2000, 100, 10_000_000);
        int payloadBytes = args.Number("payload-bytes", 100, 0, 1 << 20);
        int streamMessages = args.Number("stream-messages", 256, 1, 1 << 20);
        int messageBytes = args.Number("message-bytes", 1 << 20, 1, 32 << 20);
        args.RejectUnknown();

        string script = Path.Combine(AppContext.BaseDirectory, "bench", "grpcio_bench.py");
        var ours = GrpcBenchmark.MeasureOursAsync(requests, payloadBytes, streamMessages, messageBytes).GetAwaiter().GetResult();
        var grpcio = GrpcBenchmark.MeasureGrpcioAsync(script, requests, payloadBytes, streamMessages, messageBytes).GetAwaiter().GetResult();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"unary round trip ({payloadBytes} B, {requests} calls) and server streaming ({streamMessages} x {messageBytes} B) on loopback"));
        output.WriteLine($"{"",-34} {"unary p50",12} {"unary p99",12} {"stream",12}");
        Print(output, "dsv3 client -> dsv3 server", ours);
        if (grpcio is null)
        {
            output.WriteLine("grpcio: not measured (needs Debian's python3-grpcio and python3-protobuf at /usr/bin/python3)");
            return 0;
        }

        Print(output, "grpcio client -> grpcio server", grpcio);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"dsv3 / grpcio",-34} {grpcio.UnaryP50Microseconds / ours.UnaryP50Microseconds,11:F2}x {grpcio.UnaryP99Microseconds / ours.UnaryP99Microseconds,11:F2}x {ours.StreamMegabytesPerSecond / grpcio.StreamMegabytesPerSecond,11:F2}x  (>1 = dsv3 faster)"));
        return 0;
    }

    private static void Print(TextWriter output, string name, GrpcBenchmark.Figures figures) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-34} {figures.UnaryP50Microseconds,9:F1} us {figures.UnaryP99Microseconds,9:F1} us {figures.StreamMegabytesPerSecond,7:F1} MB/s"));
}
