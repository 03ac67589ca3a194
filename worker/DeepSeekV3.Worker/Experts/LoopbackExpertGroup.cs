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

    private LoopbackExpertGroup(Transformer leader, RemoteExpertPeers? peers, List<WebApplication?> ranks, List<CpuBackend> backends)
    {
        Leader = leader;
        Peers = peers;
        _ranks = ranks;
        _backends = backends;
    }

    public Transformer Leader { get; }

    /// <summary>The leader's link to the other ranks (null for a group of one).</summary>
    public RemoteExpertPeers? Peers { get; }

    public static async Task<LoopbackExpertGroup> StartAsync(Checkpoint checkpoint, int size, TimeSpan? timeout = null, int? leaderThreads = null)
    {
        int experts = checkpoint.Config.NRoutedExperts;
        var apps = new List<WebApplication?> { null };
        var backends = new List<CpuBackend> { new(leaderThreads) };
        var addresses = new List<string> { "127.0.0.1:1" }; // the leader's own address is never dialled
        for (int rank = 1; rank < size; rank++)
        {
            var backend = new CpuBackend(1);
            var model = new Transformer(checkpoint, backend, new GroupTopology(rank, size, [.. Enumerable.Repeat("unused", size)]).WeightMap(experts));
            var app = GrpcServerHost.Build(IPAddress.Loopback, 0);
            new ExpertService(() => model, () => backend).Bind(new GrpcServiceBinder(app));
            await app.StartAsync().ConfigureAwait(false);
            apps.Add(app);
            backends.Add(backend);
            addresses.Add($"127.0.0.1:{new Uri(app.Urls.First()).Port}");
        }

        var topology = size == 1 ? GroupTopology.Alone : new GroupTopology(0, size, addresses);
        var peers = size == 1 ? null : new RemoteExpertPeers(topology, experts, checkpoint.Config.HiddenSize, timeout);
        var leader = new Transformer(checkpoint, backends[0], topology.WeightMap(experts), peers);
        return new LoopbackExpertGroup(leader, peers, apps, backends);
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
