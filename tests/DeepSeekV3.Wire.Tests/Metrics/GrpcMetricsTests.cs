using System.Net;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Metrics;
using DeepSeekV3.Wire.Tests.Interop;
using Grpc.Testing;

namespace DeepSeekV3.Wire.Tests.Metrics;

public sealed class GrpcMetricsTests
{
    [Fact]
    public async Task ServedCalls_AreCountedByMethodAndStatus()
    {
        using var metrics = new GrpcMetrics();
        using var exporter = new PrometheusExporter([metrics.Meter]);
        var app = GrpcServerHost.Build(IPAddress.Loopback, 0);
        new GrpcServiceBinder(app, new GrpcServerOptions { Metrics = metrics })
            .Unary(TestServiceMethods.EmptyCall, (_, _) => Task.FromResult(new Empty()))
            .Unary(TestServiceMethods.UnaryCall, (_, _) => throw new RpcException(StatusCode.InvalidArgument, "no"));
        await app.StartAsync();
        try
        {
            using var channel = new GrpcChannel(new Uri(app.Urls.First()));
            await channel.UnaryAsync(TestServiceMethods.EmptyCall, new Empty());
            await channel.UnaryAsync(TestServiceMethods.EmptyCall, new Empty());
            await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServiceMethods.UnaryCall, new SimpleRequest()));

            string text = exporter.Collect();

            Assert.Contains("dsv3_grpc_calls_total{method=\"/grpc.testing.TestService/EmptyCall\",status=\"OK\"} 2\n", text, StringComparison.Ordinal);
            Assert.Contains("dsv3_grpc_calls_total{method=\"/grpc.testing.TestService/UnaryCall\",status=\"InvalidArgument\"} 1\n", text, StringComparison.Ordinal);
            Assert.Contains("dsv3_grpc_call_duration_seconds_count{method=\"/grpc.testing.TestService/EmptyCall\"} 2\n", text, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
