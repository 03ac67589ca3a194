using DeepSeekV3.Inference.Model;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// The leader's expert re-placement: from the tokens its steps routed to each expert since the last look, a balanced
/// placement per layer (<see cref="ExpertPlacement.Balanced"/>); when it evens the ranks out noticeably, it is applied
/// between steps without dropping a request — every rank first adds the experts it gains (prepare), the leader then
/// routes by the new placement, and only after that do ranks drop what they lost (commit).
/// </summary>
public sealed partial class ExpertRebalancer
{
    private readonly Transformer _model;
    private readonly RemoteExpertPeers _peers;
    private readonly GroupTopology _topology;
    private readonly ILogger _logger;
    private readonly Dictionary<int, long[]> _seen = [];
    private ulong _version;

    public ExpertRebalancer(Transformer model, RemoteExpertPeers peers, GroupTopology topology, ILogger logger)
    {
        _model = model;
        _peers = peers;
        _topology = topology;
        _logger = logger;
    }

    /// <summary>Apply only when the busiest rank's share falls by at least this fraction (re-placement is not free).</summary>
    public double MinimumImprovement { get; init; } = 0.05;

    /// <summary>Placements balanced for the load since the last proposal, with the worst layer's imbalance before and after.</summary>
    public (ExpertPlacement?[] Next, double Before, double After) Propose()
    {
        var current = _peers.Placements;
        var next = (ExpertPlacement?[])current.Clone();
        double before = 1, after = 1;
        foreach (int layer in _model.MoeLayers)
        {
            long[] total = _model.ExpertLoad(layer);
            long[] seen = _seen.GetValueOrDefault(layer) ?? new long[total.Length];
            _seen[layer] = total;
            double[] load = [.. total.Select((t, e) => (double)(t - seen[e]))];
            if (load.Sum() == 0 || current[layer] is not { } placement)
            {
                continue;
            }

            next[layer] = ExpertPlacement.Balanced(placement.Experts, placement.Ranks, _topology.RedundantExperts, load);
            before = Math.Max(before, placement.Imbalance(load));
            after = Math.Max(after, next[layer]!.Imbalance(load));
        }

        return (next, before, after);
    }

    /// <summary>Proposes and, when worth it, applies; true when the placement changed.</summary>
    public async Task<bool> RebalanceAsync(CancellationToken cancellationToken)
    {
        var (next, before, after) = Propose();
        if (after > before * (1 - MinimumImprovement))
        {
            return false;
        }

        await ApplyAsync(next, cancellationToken).ConfigureAwait(false);
        LogApplied(_logger, _version, before, after);
        return true;
    }

    /// <summary>Moves the group to <paramref name="next"/> in the two phases described above.</summary>
    public async Task ApplyAsync(ExpertPlacement?[] next, CancellationToken cancellationToken)
    {
        ulong version = ++_version;
        await SendAsync(next, version, commit: false, cancellationToken).ConfigureAwait(false);
        foreach (int layer in _model.MoeLayers)
        {
            _model.HoldExperts(layer, [.. _model.HeldExperts(layer), .. next[layer]!.ExpertsOf(_topology.Rank)]);
        }

        _peers.SwitchPlacements(next);
        foreach (int layer in _model.MoeLayers)
        {
            _model.HoldExperts(layer, next[layer]!.ExpertsOf(_topology.Rank));
        }

        await SendAsync(next, version, commit: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rebalances every <paramref name="interval"/> until cancelled; a failed attempt is logged and retried later.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            try
            {
                await RebalanceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or HttpRequestException or IOException)
            {
                LogFailed(_logger, e.Message);
            }
        }
    }

    private async Task SendAsync(ExpertPlacement?[] next, ulong version, bool commit, CancellationToken cancellationToken)
    {
        var sends = new List<Task>();
        for (int rank = 0; rank < _topology.Size; rank++)
        {
            if (rank == _topology.Rank)
            {
                continue;
            }

            var update = new PlacementUpdate { Version = version, Commit = commit };
            foreach (int layer in _model.MoeLayers)
            {
                var placement = new LayerPlacement { Layer = layer };
                placement.Experts.AddRange(next[layer]!.ExpertsOf(rank));
                update.Layers.Add(placement);
            }

            sends.Add(SendOneAsync(_topology.PeerUri(rank), update, cancellationToken));
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    private static async Task SendOneAsync(Uri peer, PlacementUpdate update, CancellationToken cancellationToken)
    {
        using var channel = new GrpcChannel(peer);
        await channel.UnaryAsync(WorkerMethods.Place, update, new CallOptions { Deadline = DateTime.UtcNow.AddSeconds(30), CancellationToken = cancellationToken }).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "expert placement {Version} applied: busiest rank {Before:F2} → {After:F2} of the mean load")]
    private static partial void LogApplied(ILogger logger, ulong version, double before, double after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "expert re-placement failed, keeping the current one: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
