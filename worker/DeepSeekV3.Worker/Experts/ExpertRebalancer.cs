using DeepSeekV3.Inference.Model;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// The leader's expert re-placement: from the tokens its steps routed to each expert since the last look, a balanced
/// placement per layer (<see cref="ExpertPlacement.Balanced"/>); when it evens the ranks out noticeably, it is applied
/// between steps without dropping a request, in the three phases of <see cref="ApplyAsync"/>.
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

    /// <summary>
    /// Moves the group to <paramref name="next"/>: every rank first holds the experts it gains (prepare); then every rank,
    /// between its own steps, routes its tokens by the new placement (switch) — after which no dispatch made under the
    /// old one is still waiting anywhere; only then does every rank drop what it lost (commit).
    /// </summary>
    public async Task ApplyAsync(ExpertPlacement?[] next, CancellationToken cancellationToken)
    {
        ulong version = ++_version;
        await SendAsync(rank => Holding(next, rank, version, commit: false), cancellationToken).ConfigureAwait(false);
        foreach (int layer in _model.MoeLayers)
        {
            _model.HoldExperts(layer, [.. _model.HeldExperts(layer), .. next[layer]!.ExpertsOf(_topology.Rank)]);
        }

        var routing = new PlacementUpdate { Version = version, SwitchRouting = true };
        foreach (int layer in _model.MoeLayers)
        {
            var entry = new LayerRouting { Layer = layer };
            for (int rank = 0; rank < _topology.Size; rank++)
            {
                var experts = new RankExperts();
                experts.Experts.AddRange(next[layer]!.ExpertsOf(rank));
                entry.Ranks.Add(experts);
            }

            routing.Routing.Add(entry);
        }

        await SendAsync(_ => routing, cancellationToken).ConfigureAwait(false);
        _model.BetweenSteps(() => _peers.SwitchPlacements(next));

        await SendAsync(rank => Holding(next, rank, version, commit: true), cancellationToken).ConfigureAwait(false);
        _model.BetweenSteps(() =>
        {
            foreach (int layer in _model.MoeLayers)
            {
                _model.HoldExperts(layer, next[layer]!.ExpertsOf(_topology.Rank));
            }
        });
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

    /// <summary>The experts <paramref name="rank"/> must hold per layer, as a prepare or commit update.</summary>
    private PlacementUpdate Holding(ExpertPlacement?[] next, int rank, ulong version, bool commit)
    {
        var update = new PlacementUpdate { Version = version, Commit = commit };
        foreach (int layer in _model.MoeLayers)
        {
            var placement = new LayerPlacement { Layer = layer };
            placement.Experts.AddRange(next[layer]!.ExpertsOf(rank));
            update.Layers.Add(placement);
        }

        return update;
    }

    /// <summary>Sends every other rank its update and waits for all the answers.</summary>
    private async Task SendAsync(Func<int, PlacementUpdate> updateFor, CancellationToken cancellationToken)
    {
        var sends = new List<Task>();
        for (int rank = 0; rank < _topology.Size; rank++)
        {
            if (rank != _topology.Rank)
            {
                sends.Add(SendOneAsync(_topology.PeerUri(rank), updateFor(rank), cancellationToken));
            }
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
