using System.Net;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Wire.Grpc;
using Microsoft.AspNetCore.Builder;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// An expert-parallel group inside one process, talking real gRPC over loopback: R ranks, each holding the replicated
/// weights and only its share of the routed experts, each serving the Expert stream on a compute pool of its own and
/// dispatching its own tokens to the others — as the ranks of `dsv3 serve` do. For tests and `dsv3 bench experts`.
/// </summary>
public sealed class LoopbackExpertGroup : IAsyncDisposable
{
    private readonly WebApplication?[] _apps;
    private readonly List<IDisposable> _owned;

    private LoopbackExpertGroup(Transformer[] models, RemoteExpertPeers?[] peers, WebApplication?[] apps, List<IDisposable> owned, GroupTopology topology)
    {
        Models = models;
        AllPeers = peers;
        _apps = apps;
        _owned = owned;
        Topology = topology;
    }

    /// <summary>Every rank's model, rank 0 first.</summary>
    public IReadOnlyList<Transformer> Models { get; }

    public Transformer Leader => Models[0];

    /// <summary>The models of ranks 1..R-1.</summary>
    public IReadOnlyList<Transformer> RankModels => [.. Models.Skip(1)];

    /// <summary>Each rank's link to the others (null for a group of one).</summary>
    public IReadOnlyList<RemoteExpertPeers?> AllPeers { get; }

    public RemoteExpertPeers? Peers => AllPeers[0];

    /// <summary>Rank 0's topology: the addresses of every rank.</summary>
    public GroupTopology Topology { get; }

    public static async Task<LoopbackExpertGroup> StartAsync(
        Checkpoint checkpoint, int size, TimeSpan? timeout = null, int? leaderThreads = null, int redundantExperts = 0)
    {
        var models = new Transformer?[size];
        var expertBackends = new CpuBackend[size];
        var apps = new WebApplication?[size];
        var owned = new List<IDisposable>();
        var addresses = new string[size];
        var peers = new RemoteExpertPeers?[size];
        for (int rank = 0; rank < size && size > 1; rank++)
        {
            int r = rank;
            var expertBackend = expertBackends[r] = new CpuBackend(1);
            owned.Add(expertBackend);
            var app = apps[r] = GrpcServerHost.Build(IPAddress.Loopback, 0);
            new ExpertService(() => models[r], () => expertBackend, () => peers[r]).Bind(new GrpcServiceBinder(app));
            await app.StartAsync().ConfigureAwait(false);
            addresses[r] = $"127.0.0.1:{new Uri(app.Urls.First()).Port}";
        }

        for (int rank = 0; rank < size; rank++)
        {
            var topology = size == 1 ? GroupTopology.Alone : new GroupTopology(rank, size, addresses, redundantExperts);
            var placements = topology.InitialPlacements(checkpoint.Config);
            var backend = new CpuBackend(rank == 0 ? leaderThreads : 1);
            owned.Add(backend);
            peers[rank] = size == 1 ? null : new RemoteExpertPeers(topology, placements, checkpoint.Config.HiddenSize, timeout);
            models[rank] = new Transformer(checkpoint, backend, topology.WeightMap(placements), peers[rank]);
        }

        var leaderTopology = size == 1 ? GroupTopology.Alone : new GroupTopology(0, size, addresses, redundantExperts);
        return new LoopbackExpertGroup([.. models.Select(m => m!)], peers, apps, owned, leaderTopology);
    }

    /// <summary>Stops a rank abruptly: open streams are cut, not drained (a killed process).</summary>
    public async Task StopRankAsync(int rank)
    {
        using var abrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await _apps[rank]!.StopAsync(abrupt.Token).ConfigureAwait(false);
        await _apps[rank]!.DisposeAsync().ConfigureAwait(false);
        _apps[rank] = null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peers in AllPeers)
        {
            peers?.Dispose();
        }

        foreach (var app in _apps.OfType<WebApplication>())
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(quick.Token).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }

        _owned.ForEach(d => d.Dispose());
    }
}
