using System.Net;
using DeepSeekV3.Wire.Grpc;
using Microsoft.AspNetCore.Builder;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>Our transport serving grpc.testing.TestService (and grpc.health.v1) on a free loopback port, h2c.</summary>
public sealed class OurServerFixture : IAsyncLifetime
{
    private WebApplication _app = null!;

    public Uri Address { get; private set; } = null!;

    public int Port => Address.Port;

    public static readonly Method<global::Grpc.Testing.Empty, global::Grpc.Testing.Empty> FaultyMethod =
        new("dsv3.test.Faults", "Throw", MethodType.Unary, global::Grpc.Testing.Empty.Parser, global::Grpc.Testing.Empty.Parser);

    public HealthService Health { get; } = new();

    public async Task InitializeAsync()
    {
        _app = GrpcServerHost.Build(IPAddress.Loopback, 0);
        TestServiceImplementation.Bind(_app);
        Health.Bind(_app);
        new GrpcServiceBinder(_app).Unary(FaultyMethod, (_, _) => throw new InvalidOperationException("the handler broke"));
        await _app.StartAsync();
        Address = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
