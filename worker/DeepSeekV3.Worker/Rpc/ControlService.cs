using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>
/// deepseekv3.v1.Control: the load report the router chooses workers by (including the cached prefix hashes for
/// prefix-aware routing), drain (the operator drains a group before removing it; SIGTERM drains too), and identity.
/// </summary>
public sealed class ControlService(ServingState state, WorkerRole role, HealthService health, TimeProvider time, string revision = "")
{
    public void Bind(GrpcServiceBinder binder) => binder
        .Unary(WorkerMethods.Load, (_, _) => Task.FromResult(Load()))
        .Unary(WorkerMethods.Drain, DrainAsync)
        .Unary(WorkerMethods.Info, (_, _) => Task.FromResult(Info()));

    public LoadReport Load()
    {
        var report = new LoadReport { Draining = state.Draining, Revision = revision };
        if (state.Engine?.Stats is { } stats)
        {
            report.RunningRequests = stats.Running;
            report.WaitingRequests = stats.Waiting;
            report.KvBlocksFree = stats.FreeBlocks;
            report.KvBlocksTotal = stats.TotalBlocks;
            report.KvBlockSizeTokens = stats.BlockSizeTokens;
            report.CachedPrefixHashes.AddRange(stats.CachedPrefixHashes);
        }

        return report;
    }

    /// <summary>Stops taking work at once; with wait, answers when nothing is in flight any more (or the deadline passes).</summary>
    public async Task<DrainResponse> DrainAsync(DrainRequest request, ServerCallContext context)
    {
        state.Draining = true;
        health.SetStatus("", Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing);
        while (request.Wait && InFlight() > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, context.CancellationToken);
        }

        return new DrainResponse { Drained = InFlight() == 0, InFlight = InFlight() };
    }

    private int InFlight() => state.Engine?.Stats is { } stats ? stats.Running + stats.Waiting : 0;

    private WorkerInfo Info() => new()
    {
        Role = role switch
        {
            WorkerRole.Prefill => WorkerInfo.Types.Role.Prefill,
            WorkerRole.Decode => WorkerInfo.Types.Role.Decode,
            WorkerRole.Router => WorkerInfo.Types.Role.Router,
            _ => WorkerInfo.Types.Role.Combined,
        },
        GroupSize = 1,
        Revision = revision,
        Model = state.ModelName,
        MaxModelLen = state.Engine?.MaxModelLength ?? 0,
    };
}
