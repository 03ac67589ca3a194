using System.Net;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Worker.Experts;
using Microsoft.AspNetCore.Builder;

namespace DeepSeekV3.Worker.Tests.Experts;

/// <summary>
/// Expert parallelism over real gRPC on loopback: the leader holds 1/R of the routed experts and dispatches the rest
/// to R - 1 ranks that each hold only theirs. The group must compute what one process computes.
/// </summary>
public sealed class ExpertParallelTests
{
    private const int MaxNewTokens = 8;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Group_GivesTheGreedyTokensAndLogitsOfOneProcess(int ranks)
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        using var backend = new CpuBackend(1);
        var prompts = GoldenData.Prompts("tiny-bf16").Select(p => p.Tokens).ToArray();
        var alone = new GreedyGenerator(new Transformer(checkpoint, backend)).Generate(prompts, MaxNewTokens);

        await using var group = await ExpertGroup.StartAsync(checkpoint, ranks);
        var together = new GreedyGenerator(group.Leader).Generate(prompts, MaxNewTokens);

        for (int p = 0; p < prompts.Length; p++)
        {
            Assert.Equal(alone[p].Tokens, together[p].Tokens);
            Assert.Equal(GoldenData.Prompts("tiny-bf16")[p].Greedy.Take(MaxNewTokens), together[p].GreedyTokens);
            Assert.True(MaxDifference(alone[p].PrefillLogits, together[p].PrefillLogits) < 1e-4);
            for (int step = 0; step < alone[p].Decode.Count; step++)
            {
                double difference = MaxDifference(alone[p].Decode[step].Logits, together[p].Decode[step].Logits);
                Assert.True(difference < 1e-4, $"prompt {p} step {step}: max |Δlogit| {difference}");
            }
        }

        Assert.True(group.Peers.BytesMoved > 0, "no token left the leader: the experts were not split");
    }

    [Fact]
    public async Task KilledRank_FailsTheStepWithAMessageNamingItAndDoesNotHang()
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        await using var group = await ExpertGroup.StartAsync(checkpoint, 2, timeout: TimeSpan.FromSeconds(5));
        var prompts = GoldenData.Prompts("tiny-bf16").Select(p => p.Tokens).Take(1).ToArray();
        new GreedyGenerator(group.Leader).Generate(prompts, 2);

        await group.StopRankAsync(1);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<ExpertPeerException>(() => new GreedyGenerator(group.Leader).Generate(prompts, 2));

        Assert.Contains("rank 1", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Topology_FromTheOperatorsEnvironment_AssignsContiguousExpertBlocks()
    {
        var variables = new Dictionary<string, string>
        {
            ["DSV3_RANK"] = "1",
            ["DSV3_GROUP_SIZE"] = "4",
            ["DSV3_PEERS"] = "g-0.svc:50051,g-1.svc:50051,g-2.svc:50051,g-3.svc:50051",
        };

        var topology = GroupTopology.FromEnvironment(name => variables.GetValueOrDefault(name));
        var owned = topology.WeightMap(256);

        Assert.Equal((1, 4, "g-1.svc:50051"), (topology.Rank, topology.Size, topology.Peers[1]));
        Assert.True(owned.OwnsExpert(64) && owned.OwnsExpert(127));
        Assert.False(owned.OwnsExpert(63) || owned.OwnsExpert(128));
        Assert.Equal(3, topology.OwnerOf(255, 256));
        Assert.Same(GroupTopology.Alone, GroupTopology.FromEnvironment(_ => null));
        Assert.Contains("peers must list the 4 ranks", Assert.Throws<FormatException>(() => GroupTopology.Parse("0", "4", "a:1,b:2")).Message, StringComparison.Ordinal);
        Assert.Contains("do not divide", Assert.Throws<FormatException>(() => GroupTopology.Parse("0", "3", "a:1,b:1,c:1").WeightMap(16)).Message, StringComparison.Ordinal);
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    /// <summary>A leader model in this process plus R - 1 expert ranks served over gRPC on loopback.</summary>
    private sealed class ExpertGroup : IAsyncDisposable
    {
        private readonly List<WebApplication?> _ranks;
        private readonly List<CpuBackend> _backends;

        private ExpertGroup(Transformer leader, RemoteExpertPeers peers, List<WebApplication?> ranks, List<CpuBackend> backends)
        {
            Leader = leader;
            Peers = peers;
            _ranks = ranks;
            _backends = backends;
        }

        public Transformer Leader { get; }

        public RemoteExpertPeers Peers { get; }

        public static async Task<ExpertGroup> StartAsync(Checkpoint checkpoint, int size, TimeSpan? timeout = null)
        {
            int experts = checkpoint.Config.NRoutedExperts;
            var apps = new List<WebApplication?> { null };
            var backends = new List<CpuBackend> { new(1) };
            var addresses = new List<string> { "127.0.0.1:1" }; // the leader's own address is never dialled
            for (int rank = 1; rank < size; rank++)
            {
                var backend = new CpuBackend(1);
                var model = new Transformer(checkpoint, backend, new GroupTopology(rank, size, [.. Enumerable.Repeat("x", size)]).WeightMap(experts));
                var app = GrpcServerHost.Build(IPAddress.Loopback, 0);
                new ExpertService(() => model, () => backend).Bind(new GrpcServiceBinder(app));
                await app.StartAsync();
                apps.Add(app);
                backends.Add(backend);
                addresses.Add($"127.0.0.1:{new Uri(app.Urls.First()).Port}");
            }

            var topology = new GroupTopology(0, size, addresses);
            var peers = new RemoteExpertPeers(topology, experts, checkpoint.Config.HiddenSize, timeout);
            var leader = new Transformer(checkpoint, backends[0], topology.WeightMap(experts), peers);
            return new ExpertGroup(leader, peers, apps, backends);
        }

        /// <summary>Stops a rank abruptly: open streams are cut, not drained (a killed process).</summary>
        public async Task StopRankAsync(int rank)
        {
            using var abrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            await _ranks[rank]!.StopAsync(abrupt.Token);
            await _ranks[rank]!.DisposeAsync();
            _ranks[rank] = null;
        }

        public async ValueTask DisposeAsync()
        {
            Peers.Dispose();
            foreach (var app in _ranks.OfType<WebApplication>())
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }

            _backends.ForEach(b => b.Dispose());
        }
    }
}
