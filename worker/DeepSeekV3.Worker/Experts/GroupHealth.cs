using Grpc.Health.V1;
using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// A rank's view of its group. Two health services tell the stages apart: "deepseekv3.v1.Expert" turns SERVING as soon
/// as a rank's experts are loaded (what the other ranks wait for), the overall "" status only when the whole group is
/// (what traffic waits for). So every rank — each runs attention for its own requests — takes traffic only when the
/// group is complete, and stops reporting ready while a rank is missing (the operator then restarts the whole group).
/// </summary>
public sealed class GroupHealth(GroupTopology topology) : IDisposable
{
    /// <summary>The health service name a rank reports once its experts can be dispatched to.</summary>
    public const string ExpertsReady = "deepseekv3.v1.Expert";

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
                _channels[rank] = channel = new GrpcChannel(topology.PeerUri(rank));
            }

            try
            {
                var answer = await channel.UnaryAsync(HealthService.Check, new HealthCheckRequest { Service = ExpertsReady },
                    new CallOptions { Deadline = DateTime.UtcNow.AddSeconds(2), CancellationToken = cancellationToken });
                if (answer.Status != HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    missing.Add($"rank {rank} ({topology.Peers[rank]}) is {answer.Status}");
                }
            }
            catch (RpcException e) when (e.Status.Code == StatusCode.NotFound)
            {
                missing.Add($"rank {rank} ({topology.Peers[rank]}) is still loading");
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

    /// <summary>
    /// Watches the group every <paramref name="interval"/> and reports each change of completeness (false: a rank is
    /// missing, with why), until cancelled.
    /// </summary>
    public async Task MonitorAsync(TimeSpan interval, Action<bool, string> changed, CancellationToken cancellationToken)
    {
        bool complete = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            var missing = await MissingAsync(cancellationToken).ConfigureAwait(false);
            if ((missing.Count == 0) != complete)
            {
                complete = missing.Count == 0;
                changed(complete, string.Join("; ", missing));
            }
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
