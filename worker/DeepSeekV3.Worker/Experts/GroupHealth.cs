using Grpc.Health.V1;
using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// The leader's view of its group: every other rank answers grpc.health.v1 with SERVING once its experts are loaded.
/// The leader takes traffic only when all do, and stops reporting ready while any does not (the operator then restarts
/// the whole group).
/// </summary>
public sealed class GroupHealth(GroupTopology topology) : IDisposable
{
    private readonly Dictionary<int, GrpcChannel> _channels = [];

    /// <summary>The ranks that are not serving now, with why (empty when the group is complete).</summary>
    public async Task<IReadOnlyList<string>> MissingAsync(CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        for (int rank = 0; rank < topology.Size; rank++)
        {
            if (rank == topology.Rank)
            {
                continue;
            }

            if (!_channels.TryGetValue(rank, out var channel))
            {
                string address = topology.Peers[rank];
                _channels[rank] = channel = new GrpcChannel(new Uri(address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address));
            }

            try
            {
                var answer = await channel.UnaryAsync(HealthService.Check, new HealthCheckRequest(),
                    new CallOptions { Deadline = DateTime.UtcNow.AddSeconds(2), CancellationToken = cancellationToken });
                if (answer.Status != HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    missing.Add($"rank {rank} ({topology.Peers[rank]}) is {answer.Status}");
                }
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or IOException)
            {
                missing.Add($"rank {rank} ({topology.Peers[rank]}) is unreachable: {e.Message}");
            }
        }

        return missing;
    }

    /// <summary>Waits until every rank serves; null when complete, else what was still missing at the timeout.</summary>
    public async Task<string?> WaitCompleteAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var missing = await MissingAsync(cancellationToken).ConfigureAwait(false);
            if (missing.Count == 0)
            {
                return null;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return $"the group did not complete within {timeout.TotalSeconds:F0} s: {string.Join("; ", missing)}";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
