using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Worker.Experts;

namespace DeepSeekV3.Worker.Tests.Experts;

/// <summary>
/// Expert parallelism over real gRPC on loopback: the leader holds 1/R of the routed experts and dispatches the rest
/// to R - 1 ranks that each hold only theirs. The group must compute what one process computes.
/// </summary>
public sealed class ExpertParallelTests
{
    private const int MaxNewTokens = 8;

    [Theory]
    [InlineData(2, 0)]
    [InlineData(4, 0)]
    [InlineData(2, 2)]
    [InlineData(4, 4)]
    public async Task Group_GivesTheGreedyTokensAndLogitsOfOneProcess(int ranks, int redundant)
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        using var backend = new CpuBackend(1);
        var prompts = GoldenData.Prompts("tiny-bf16").Select(p => p.Tokens).ToArray();
        var alone = new GreedyGenerator(new Transformer(checkpoint, backend)).Generate(prompts, MaxNewTokens);

        await using var group = await LoopbackExpertGroup.StartAsync(checkpoint, ranks, redundantExperts: redundant);
        var together = new GreedyGenerator(group.Leader).Generate(prompts, MaxNewTokens);

        AssertSameAs(alone, together, prompts.Length);
        Assert.True(group.Peers!.BytesMoved > 0, "no token left the leader: the experts were not split");
        Assert.All(group.RankModels, m => Assert.Equal((16 + redundant) / ranks, m.HeldExperts(1).Count));
    }

    [Fact]
    public async Task EveryRank_ServesItsOwnRequestsAtTheSameTimeAsThePeers_DataParallelAttention()
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        using var backend = new CpuBackend(1);
        var prompts = GoldenData.Prompts("tiny-bf16").Select(p => p.Tokens).ToArray();
        var alone = new GreedyGenerator(new Transformer(checkpoint, backend)).Generate(prompts, MaxNewTokens);
        await using var group = await LoopbackExpertGroup.StartAsync(checkpoint, 4, redundantExperts: 4);

        // All four ranks generate at once: each dispatches to the others while serving their dispatches.
        var runs = await Task.WhenAll(group.Models.Select(model => Task.Run(() => new GreedyGenerator(model).Generate(prompts, MaxNewTokens))))
            .WaitAsync(TimeSpan.FromSeconds(120));

        Assert.All(runs, run => AssertSameAs(alone, run, prompts.Length));
        Assert.All(group.AllPeers, peers => Assert.True(peers!.BytesMoved > 0));
    }

    [Fact]
    public async Task LivePlacementChange_DuringGeneration_KeepsTheOutputAndMovesTheExperts()
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        using var backend = new CpuBackend(1);
        var prompts = GoldenData.Prompts("tiny-bf16").Select(p => p.Tokens).ToArray();
        var alone = new GreedyGenerator(new Transformer(checkpoint, backend)).Generate(prompts, MaxNewTokens);
        await using var group = await LoopbackExpertGroup.StartAsync(checkpoint, 2, redundantExperts: 2);
        var rebalancer = new ExpertRebalancer(group.Leader, group.Peers!, group.Topology, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        new GreedyGenerator(group.Leader).Generate(prompts, MaxNewTokens); // some load to balance
        var initial = group.Peers!.Placements;
        var (next, before, after) = rebalancer.Propose();
        Assert.Contains(group.Leader.MoeLayers, l => !next[l]!.ExpertsOf(1).SequenceEqual(initial[l]!.ExpertsOf(1))); // something moves

        // Re-place while both ranks generate (each routes its own tokens): none may fail or change.
        var generating = group.Models.Select(model => Task.Run(() =>
            Enumerable.Range(0, 3).Select(_ => new GreedyGenerator(model).Generate(prompts, MaxNewTokens)).ToList())).ToList();
        await rebalancer.ApplyAsync(next, CancellationToken.None);
        var during = (await Task.WhenAll(generating)).SelectMany(runs => runs).ToList();
        var afterwards = group.Models.Select(model => new GreedyGenerator(model).Generate(prompts, MaxNewTokens)).ToList();

        Assert.True(after <= before, $"imbalance {before:F2} → {after:F2}");
        Assert.All(during, run => AssertSameAs(alone, run, prompts.Length));
        Assert.All(afterwards, run => AssertSameAs(alone, run, prompts.Length));
        foreach (int layer in group.Leader.MoeLayers)
        {
            Assert.Equal(next[layer]!.ExpertsOf(0), group.Leader.HeldExperts(layer));
            Assert.Equal(next[layer]!.ExpertsOf(1), group.RankModels[0].HeldExperts(layer));
            Assert.All(group.AllPeers, peers => Assert.Equal(next[layer]!.ExpertsOf(1), peers!.Placements[layer]!.ExpertsOf(1)));
        }
    }

    [Fact]
    public async Task ExpertLoadAndDispatchLatency_AreExportedForPrometheus()
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        await using var group = await LoopbackExpertGroup.StartAsync(checkpoint, 2);
        using var metrics = new DeepSeekV3.Worker.Metrics.Dsv3Metrics();
        var duration = metrics.ObserveExperts(() => [.. Enumerable.Range(0, 16).Select(e => group.Leader.MoeLayers.Sum(l => group.Leader.ExpertLoad(l)[e]))]);
        group.Peers!.ExchangeObserved = elapsed => duration.Record(elapsed.TotalSeconds);
        using var exporter = new DeepSeekV3.Wire.Metrics.PrometheusExporter([metrics.Meter]);
        var prompt = GoldenData.Prompts("tiny-bf16")[0].Tokens;

        new GreedyGenerator(group.Leader).Generate([prompt], 3);
        string text = exporter.Collect();

        // Every token of every MoE layer routes to experts_per_tok experts: (prompt + 2 decode steps) x 2 layers x 4.
        long routed = text.Split('\n').Where(l => l.StartsWith("dsv3_expert_tokens_total{", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((prompt.Length + 2) * 2 * 4, routed);
        Assert.Contains("dsv3_expert_dispatch_duration_seconds_count ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("dsv3_expert_dispatch_duration_seconds_count 0", text, StringComparison.Ordinal);
    }

    private static void AssertSameAs(IReadOnlyList<GenerationResult> alone, IReadOnlyList<GenerationResult> together, int prompts)
    {
        for (int p = 0; p < prompts; p++)
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
    }

    [Fact]
    public async Task KilledRank_FailsTheStepWithAMessageNamingItAndDoesNotHang()
    {
        using var checkpoint = Checkpoint.Open(GoldenData.Directory("tiny-bf16"));
        await using var group = await LoopbackExpertGroup.StartAsync(checkpoint, 2, timeout: TimeSpan.FromSeconds(5));
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
        Assert.Same(GroupTopology.Alone, GroupTopology.FromEnvironment(_ => null));
        Assert.Contains("peers must list the 4 ranks", Assert.Throws<FormatException>(() => GroupTopology.Parse("0", "4", "a:1,b:2")).Message, StringComparison.Ordinal);
        Assert.Contains("do not divide", Assert.Throws<FormatException>(() => GroupTopology.Parse("0", "3", "a:1,b:1,c:1").WeightMap(16)).Message, StringComparison.Ordinal);
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
