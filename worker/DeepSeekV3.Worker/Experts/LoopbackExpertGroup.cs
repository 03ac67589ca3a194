using System.Net;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Wire.Grpc;
using Microsoft.AspNetCore.Builder;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// An expert-parallel group inside one process, talking real gRPC over loopback: the leader's model here, and R - 1
/// ranks each holding only its experts behind an Expert service. For tests and `dsv3 bench experts`.
/// </summary>
public sealed class LoopbackExpertGroup : IAsyncDisposable
{
    private readonly List<WebApplication?> _ranks;
    private readonly List<CpuBackend> _backends;

    private readonly List<Transformer> _models = [];

    private LoopbackExpertGroup(Transformer leader, RemoteExpertPeers? peers, List<WebApplication?> ranks, List<CpuBackend> backends, GroupTopology topology)
    {
        Topology = topology;
        Leader = leader;
        Peers = peers;
        _ranks = ranks;
        _backends = backends;
    }

    public Transformer Leader { get; }

    /// <summary>The leader's topology: addresses of every rank.</summary>
    public GroupTopology Topology { get; }

    /// <summary>The models of ranks 1..R-1 (index 0 is rank 1), to look at what they hold.</summary>
    public IReadOnlyList<Transformer> RankModels => _models;

    /// <summary>The leader's link to the other ranks (null for a group of one).</summary>
    public RemoteExpertPeers? Peers { get; }

    public static async Task<LoopbackExpertGroup> StartAsync(
        Checkpoint checkpoint, int size, TimeSpan? timeout = null, int? leaderThreads = null, int redundantExperts = 0)
    {
        var apps = new List<WebApplication?> { null };
        var models = new List<Transformer>();
        var backends = new List<CpuBackend> { new(leaderThreads) };
        var addresses = new List<string> { "127.0.0.1:1" }; // the leader's own address is never dialled
        for (int rank = 1; rank < size; rank++)
        {
            var backend = new CpuBackend(1);
            var topology = new GroupTopology(rank, size, [.. Enumerable.Repeat("unused", size)], redundantExperts);
            var model = new Transformer(checkpoint, backend, topology.WeightMap(topology.InitialPlacements(checkpoint.Config)));
            var app = GrpcServerHost.Build(IPAddress.Loopback, 0);
            new ExpertService(() => model, () => backend).Bind(new GrpcServiceBinder(app));
            await app.StartAsync().ConfigureAwait(false);
            apps.Add(app);
            backends.Add(backend);
            models.Add(model);
            addresses.Add($"127.0.0.1:{new Uri(app.Urls.First()).Port}");
        }

        var group = size == 1 ? GroupTopology.Alone : new GroupTopology(0, size, addresses, redundantExperts);
        var placements = group.InitialPlacements(checkpoint.Config);
        var peers = size == 1 ? null : new RemoteExpertPeers(group, placements, checkpoint.Config.HiddenSize, timeout);
        var leader = new Transformer(checkpoint, backends[0], group.WeightMap(placements), peers);
        var result = new LoopbackExpertGroup(leader, peers, apps, backends, group);
        result._models.AddRange(models);
        return result;
    }

    /// <summary>Stops a rank abruptly: open streams are cut, not drained (a killed process).</summary>
    public async Task StopRankAsync(int rank)
    {
        using var abrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await _ranks[rank]!.StopAsync(abrupt.Token).ConfigureAwait(false);
        await _ranks[rank]!.DisposeAsync().ConfigureAwait(false);
        _ranks[rank] = null;
    }

    public async ValueTask DisposeAsync()
    {
        Peers?.Dispose();
        foreach (var app in _ranks.OfType<WebApplication>())
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(quick.Token).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        _backends.ForEach(b => b.Dispose());
    }
}
