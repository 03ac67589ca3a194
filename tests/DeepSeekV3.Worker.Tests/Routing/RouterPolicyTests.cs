using DeepSeekV3.Worker.Routing;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Routing;

public sealed class RouterPolicyTests
{
    private static readonly int[] s_prompt = [.. Enumerable.Range(0, 40)];

    private static WorkerSnapshot Worker(string address, int load = 0, int cachedBlocks = 0, bool healthy = true, int freeBlocks = 100) =>
        new(address, healthy, load, 0, freeBlocks, 16, PrefixHash.Blocks(s_prompt, 16).Take(cachedBlocks).ToHashSet());

    [Theory]
    [InlineData(new[] { 0, 2, 1 }, new[] { 0, 0, 0 }, "b")]       // longest cached prefix wins
    [InlineData(new[] { 1, 1, 0 }, new[] { 5, 2, 0 }, "b")]       // tie on prefix: least loaded
    [InlineData(new[] { 0, 0, 0 }, new[] { 3, 3, 1 }, "c")]       // nothing cached: least loaded
    [InlineData(new[] { 2, 2, 2 }, new[] { 0, 0, 0 }, "a")]       // full tie: first listed
    public void ChoosePrefill_Table(int[] cachedBlocks, int[] loads, string expected)
    {
        string[] names = ["a", "b", "c"];
        var workers = names.Select((n, i) => Worker(n, loads[i], cachedBlocks[i])).ToList();

        Assert.Equal(expected, RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string>())!.Address);
    }

    [Fact]
    public void ChoosePrefill_SkipsUnhealthyAndAlreadyTried()
    {
        var workers = new List<WorkerSnapshot> { Worker("a", cachedBlocks: 2, healthy: false), Worker("b", cachedBlocks: 1), Worker("c") };

        Assert.Equal("b", RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string>())!.Address);
        Assert.Equal("c", RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string> { "b" })!.Address);
        Assert.Null(RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string> { "b", "c" }));
    }

    [Fact]
    public void ChooseDecode_LeastLoadedThenMostFreeBlocks()
    {
        var workers = new List<WorkerSnapshot> { Worker("a", load: 2), Worker("b", load: 1, freeBlocks: 10), Worker("c", load: 1, freeBlocks: 50) };

        Assert.Equal("c", RouterPolicy.ChooseDecode(workers, new HashSet<string>())!.Address);
        Assert.Equal("b", RouterPolicy.ChooseDecode(workers, new HashSet<string> { "c" })!.Address);
    }

    [Fact]
    public void CachedPrefixTokens_CountsOnlyTheLeadingRunOfCachedBlocks()
    {
        var hashes = PrefixHash.Blocks(s_prompt, 16);
        var gap = new WorkerSnapshot("a", true, 0, 0, 0, 16, new HashSet<ulong> { hashes[1] }); // block 1 without block 0

        Assert.Equal(32, RouterPolicy.CachedPrefixTokens(Worker("b", cachedBlocks: 2), s_prompt));
        Assert.Equal(0, RouterPolicy.CachedPrefixTokens(gap, s_prompt));
    }

    [Theory]
    [InlineData("", "", true)]
    [InlineData("r1", "r1", true)]
    [InlineData("r1", "", true)]
    [InlineData("", "r2", true)]
    [InlineData("r1", "r2", false)]
    public void Compatible_Table(string a, string b, bool expected) => Assert.Equal(expected, RouterPolicy.Compatible(a, b));

    [Fact]
    public void ChoosePair_DuringRollout_PairsOnlyEqualRevisions()
    {
        // Prefill "p-new" holds the prompt's prefix but no decode worker runs its revision yet: it must not be chosen.
        var prefill = new List<WorkerSnapshot> { Worker("p-new", cachedBlocks: 2) with { Revision = "new" }, Worker("p-old", load: 3) with { Revision = "old" } };
        var decode = new List<WorkerSnapshot> { Worker("d-old-busy", load: 5) with { Revision = "old" }, Worker("d-old", load: 1) with { Revision = "old" } };

        var pair = RouterPolicy.ChoosePair(prefill, decode, s_prompt, new HashSet<string>(), RoutingPolicy.CacheAware, 0)!.Value;

        Assert.Equal(("p-old", "d-old"), (pair.Prefill.Address, pair.Decode.Address));
    }

    [Fact]
    public void ChoosePair_NewDecodeArrives_PrefersCachedNewPrefillAndPairsItWithNewDecode()
    {
        var prefill = new List<WorkerSnapshot> { Worker("p-new", cachedBlocks: 2) with { Revision = "new" }, Worker("p-old") with { Revision = "old" } };
        var decode = new List<WorkerSnapshot> { Worker("d-old") with { Revision = "old" }, Worker("d-new", load: 4) with { Revision = "new" } };

        var pair = RouterPolicy.ChoosePair(prefill, decode, s_prompt, new HashSet<string>(), RoutingPolicy.CacheAware, 0)!.Value;

        Assert.Equal(("p-new", "d-new"), (pair.Prefill.Address, pair.Decode.Address));
    }

    [Fact]
    public void ChoosePair_NoCompatibleDecode_ReturnsNull()
    {
        var prefill = new List<WorkerSnapshot> { Worker("p") with { Revision = "new" } };
        var decode = new List<WorkerSnapshot> { Worker("d") with { Revision = "old" } };

        Assert.Null(RouterPolicy.ChoosePair(prefill, decode, s_prompt, new HashSet<string>(), RoutingPolicy.CacheAware, 0));
    }

    [Fact]
    public void ChoosePrefill_LeastLoaded_IgnoresCachedPrefix()
    {
        var workers = new List<WorkerSnapshot> { Worker("a", load: 3, cachedBlocks: 2), Worker("b", load: 1) };

        Assert.Equal("a", RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string>(), RoutingPolicy.CacheAware)!.Address);
        Assert.Equal("b", RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string>(), RoutingPolicy.LeastLoaded)!.Address);
    }

    [Fact]
    public void ChoosePrefill_RoundRobin_TakesEachUsableWorkerInTurn()
    {
        var workers = new List<WorkerSnapshot> { Worker("a"), Worker("b", healthy: false), Worker("c"), Worker("d") };

        var chosen = Enumerable.Range(0, 6).Select(turn => RouterPolicy.ChoosePrefill(workers, s_prompt, new HashSet<string>(), RoutingPolicy.RoundRobin, turn)!.Address);

        Assert.Equal(["a", "c", "d", "a", "c", "d"], chosen);
    }
}
