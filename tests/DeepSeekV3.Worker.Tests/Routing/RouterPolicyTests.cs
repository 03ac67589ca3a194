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
}
