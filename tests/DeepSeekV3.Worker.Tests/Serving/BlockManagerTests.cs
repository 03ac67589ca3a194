using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Serving;

public sealed class BlockManagerTests
{
    private static BlockManager Manager(int blocks, bool prefixCaching = true) =>
        new(new KvCache(layers: 1, latentRank: 2, ropeDim: 2, blockSizeTokens: 4, blockCount: blocks), prefixCaching);

    private static int[] Tokens(int count, int offset = 0) => [.. Enumerable.Range(offset, count)];

    [Fact]
    public void Allocate_NoCache_TakesBlocksForEveryToken()
    {
        var manager = Manager(8);
        var table = new KvBlockTable();

        int cached = manager.Allocate(table, Tokens(10));

        Assert.Equal(0, cached);
        Assert.Equal(3, table.Count);
        Assert.Equal(5, manager.FreeBlockCount);
        Assert.Equal(3, table.BlockIds.Distinct().Count());
    }

    [Fact]
    public void Allocate_ComputedPrefixOfAnotherSequence_IsSharedAndCounted()
    {
        var manager = Manager(8);
        var first = new KvBlockTable();
        var tokens = Tokens(10);
        manager.Allocate(first, tokens);
        manager.CommitComputed(first, tokens, 10);

        var second = new KvBlockTable();
        int cached = manager.Allocate(second, [.. tokens[..9], 99]);

        Assert.Equal(8, cached); // two full blocks; the third differs
        Assert.Equal(first[0], second[0]);
        Assert.Equal(first[1], second[1]);
        Assert.NotEqual(first[2], second[2]);
        Assert.Equal(4, manager.FreeBlockCount);
    }

    [Fact]
    public void Allocate_UncommittedBlocks_AreNeverHits()
    {
        var manager = Manager(8);
        var first = new KvBlockTable();
        manager.Allocate(first, Tokens(10));

        Assert.Equal(0, manager.Allocate(new KvBlockTable(), Tokens(10)));
    }

    [Fact]
    public void Free_CachedBlocks_StayReusableUntilEvicted()
    {
        var manager = Manager(4);
        var table = new KvBlockTable();
        var tokens = Tokens(9);
        manager.Allocate(table, tokens);
        manager.CommitComputed(table, tokens, 9);
        manager.Free(table);

        Assert.Equal(4, manager.FreeBlockCount);
        Assert.Equal(8, manager.Allocate(new KvBlockTable(), tokens));

        // A different request needing every block evicts the cached prefix.
        var manager2 = Manager(3);
        var warm = new KvBlockTable();
        manager2.Allocate(warm, Tokens(8));
        manager2.CommitComputed(warm, Tokens(8), 8);
        manager2.Free(warm);
        manager2.Allocate(new KvBlockTable(), Tokens(12, offset: 500));
        Assert.Equal(0, manager2.FreeBlockCount);
    }

    [Fact]
    public void Free_SharedBlock_IsReleasedOnlyByTheLastOwner()
    {
        var manager = Manager(6);
        var tokens = Tokens(9);
        var first = new KvBlockTable();
        manager.Allocate(first, tokens);
        manager.CommitComputed(first, tokens, 9);
        var second = new KvBlockTable();
        manager.Allocate(second, tokens);
        int freeWithBoth = manager.FreeBlockCount;

        manager.Free(first);

        Assert.Equal(freeWithBoth + 1, manager.FreeBlockCount); // only first's private tail block came back
        manager.Free(second);
        Assert.Equal(6, manager.FreeBlockCount);
    }

    [Fact]
    public void BlocksNeeded_CountsReclaimedCachedBlocks()
    {
        var manager = Manager(4);
        var tokens = Tokens(16);
        var table = new KvBlockTable();
        manager.Allocate(table, tokens);
        manager.CommitComputed(table, tokens, 16);
        manager.Free(table);

        // 3 cached blocks are reused (not the last, which holds the last token) but leave the free list, plus 1 new.
        Assert.Equal(4, manager.BlocksNeeded(tokens));
        Assert.Equal(12, manager.Allocate(new KvBlockTable(), tokens));
        Assert.Equal(0, manager.FreeBlockCount);
    }

    [Fact]
    public void Allocate_PrefixCachingOff_NeverShares()
    {
        var manager = Manager(8, prefixCaching: false);
        var tokens = Tokens(9);
        var first = new KvBlockTable();
        manager.Allocate(first, tokens);
        manager.CommitComputed(first, tokens, 9);

        Assert.Equal(0, manager.Allocate(new KvBlockTable(), tokens));
    }

    [Fact]
    public void TryGrow_NoFreeBlock_ReturnsFalseAndChangesNothing()
    {
        var manager = Manager(2);
        var table = new KvBlockTable();
        manager.Allocate(table, Tokens(8));

        Assert.False(manager.TryGrow(table, 9));
        Assert.Equal(2, table.Count);
        Assert.True(manager.TryGrow(table, 8));
    }
}
