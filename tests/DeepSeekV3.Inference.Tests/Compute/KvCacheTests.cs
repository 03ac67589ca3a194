using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

public sealed class KvCacheTests
{
    /// <summary>
    /// Attention asks for rows ahead of where it reads, up to the last cached position, in runs that may cross a block's
    /// end (KvCache.PrefetchRows): every such request is served within its block and reads nothing into the rows.
    /// </summary>
    [Fact]
    public void PrefetchRows_AnyPositionAndCount_LeavesEveryRowAsWritten()
    {
        var cache = new KvCache(layers: 3, latentRank: 8, ropeDim: 4, blockSizeTokens: 4, blockCount: 5);
        var table = new KvBlockTable();
        foreach (int block in new[] { 3, 0, 4 }) // out of order, as a block manager hands them out
        {
            table.Append(block);
        }

        int positions = table.Count * cache.BlockSizeTokens;
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            for (int position = 0; position < positions; position++)
            {
                var row = cache.Row(table, layer, position);
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] = Value(layer, position, i);
                }
            }
        }

        for (int layer = 0; layer < cache.Layers; layer++)
        {
            for (int position = 0; position < positions; position++)
            {
                foreach (int count in new[] { -1, 0, 1, 3, 4, 9 })
                {
                    cache.PrefetchRows(table, layer, position, count);
                }
            }
        }

        for (int layer = 0; layer < cache.Layers; layer++)
        {
            for (int position = 0; position < positions; position++)
            {
                var row = cache.Row(table, layer, position);
                for (int i = 0; i < row.Length; i++)
                {
                    Assert.Equal(Value(layer, position, i), row[i]);
                }
            }
        }
    }

    private static float Value(int layer, int position, int index) => (layer * 1000) + (position * 20) + index;
}
