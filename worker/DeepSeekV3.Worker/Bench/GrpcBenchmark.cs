using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DeepSeekV3.Wire.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// Our gRPC client → our gRPC server on loopback, side by side with grpcio client → grpcio server
/// (bench/grpcio_bench.py, same payloads, same run): unary round-trip latency p50/p99 on a small message, and
/// server-streaming throughput with 1 MiB messages.
/// </summary>
public static class GrpcBenchmark
{
    private static readonly Method<BytesValue, BytesValue> s_echo = new("bench.Bench", "Echo", MethodType.Unary, BytesValue.Parser, BytesValue.Parser);
    private static readonly Method<Int32Value, BytesValue> s_stream = new("bench.Bench", "Stream", MethodType.ServerStreaming, Int32Value.Parser, BytesValue.Parser);

    public sealed record Figures(double UnaryP50Microseconds, double UnaryP99Microseconds, double StreamMegabytesPerSecond);

    public static async Task<Figures> MeasureOursAsync(int requests, int payloadBytes, int streamMessages, int messageBytes)
    {
        var block = new BytesValue { Value = ByteString.CopyFrom(new byte[messageBytes]) };
        var app = GrpcServerHost.Build(IPAddress.Loopback, 0);
        var limits = new GrpcServerOptions { MaxReceiveMessageSize = 64 << 20 };
        new GrpcServiceBinder(app, limits)
            .Unary(s_echo, (request, _) => Task.FromResult(request))
            .ServerStreaming(s_stream, async (request, responses, context) =>
            {
                for (int i = 0; i < request.Value; i++)
                {
                    await responses.WriteAsync(block, context.CancellationToken);
                }
            });
        await app.StartAsync();
        try
        {
            using var channel = new GrpcChannel(new Uri(app.Urls.First()), new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
            var payload = new BytesValue { Value = ByteString.CopyFrom(new byte[payloadBytes]) };
            for (int i = 0; i < 200; i++)
            {
                await channel.UnaryAsync(s_echo, payload);
            }

            var latencies = new double[requests];
            for (int i = 0; i < requests; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await channel.UnaryAsync(s_echo, payload);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }

            Array.Sort(latencies);
            await foreach (var _ in channel.ServerStreamingAsync(s_stream, new Int32Value { Value = 8 }))
            {
            }

            long received = 0;
            long streamStart = Stopwatch.GetTimestamp();
            await foreach (var message in channel.ServerStreamingAsync(s_stream, new Int32Value { Value = streamMessages }))
            {
                received += message.Value.Length;
            }

            double seconds = Stopwatch.GetElapsedTime(streamStart).TotalSeconds;
            return new Figures(latencies[requests / 2], latencies[(int)(requests * 0.99) - 1], received / seconds / 1e6);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The same figures from grpcio, or null when Debian's python3-grpcio is not installed.</summary>
    public static async Task<Figures?> MeasureGrpcioAsync(string script, int requests, int payloadBytes, int streamMessages, int messageBytes)
    {
        if (!File.Exists("/usr/bin/python3") || !File.Exists(script))
        {
            return null;
        }

        var start = new ProcessStartInfo("/usr/bin/python3", [script, "--requests", $"{requests}", "--payload-bytes", $"{payloadBytes}",
            "--stream-messages", $"{streamMessages}", "--message-bytes", $"{messageBytes}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            return null;
        }

        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return new Figures(root.GetProperty("unary_p50_us").GetDouble(), root.GetProperty("unary_p99_us").GetDouble(),
            root.GetProperty("stream_mb_per_s").GetDouble());
    }
}
