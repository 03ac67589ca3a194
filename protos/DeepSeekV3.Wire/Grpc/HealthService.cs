using System.Collections.Concurrent;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Routing;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// The standard grpc.health.v1.Health service (grpc/grpc doc/health-checking.md): Check answers the stored status of a
/// service name ("" is the whole server), NOT_FOUND for unknown names; Watch streams the status now and on every change.
/// </summary>
public sealed class HealthService
{
    public static readonly Method<HealthCheckRequest, HealthCheckResponse> Check =
        new("grpc.health.v1.Health", "Check", MethodType.Unary, HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> Watch =
        new("grpc.health.v1.Health", "Watch", MethodType.ServerStreaming, HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    private readonly ConcurrentDictionary<string, HealthCheckResponse.Types.ServingStatus> _statuses = new();
    private event Action? Changed;

    public void SetStatus(string service, HealthCheckResponse.Types.ServingStatus status)
    {
        _statuses[service] = status;
        Changed?.Invoke();
    }

    public void Bind(IEndpointRouteBuilder routes) =>
        new GrpcServiceBinder(routes)
            .Unary(Check, (request, _) => _statuses.TryGetValue(request.Service, out var status)
                ? Task.FromResult(new HealthCheckResponse { Status = status })
                : throw new RpcException(StatusCode.NotFound, $"unknown service '{request.Service}'"))
            .ServerStreaming(Watch, WatchAsync);

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        var changed = new SemaphoreSlim(0);
        void OnChanged() => changed.Release();
        Changed += OnChanged;
        try
        {
            HealthCheckResponse.Types.ServingStatus? last = null;
            while (true)
            {
                var status = _statuses.TryGetValue(request.Service, out var s) ? s : HealthCheckResponse.Types.ServingStatus.ServiceUnknown;
                if (status != last)
                {
                    await responses.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken);
                    last = status;
                }

                await changed.WaitAsync(context.CancellationToken);
            }
        }
        finally
        {
            Changed -= OnChanged;
            changed.Dispose();
        }
    }
}
