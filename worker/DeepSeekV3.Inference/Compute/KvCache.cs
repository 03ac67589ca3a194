namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Paged storage for the MLA cache. Per token and layer DeepSeek-V3 caches only the normalized compressed
/// latent (<c>kv_lora_rank</c>) and the roped shared key (<c>qk_rope_head_dim</c>): 576 floats instead of
/// 2·128·128 — the memory win of MLA. Storage is cut into blocks of <see cref="BlockSizeTokens"/> tokens;
/// a sequence owns a <see cref="KvBlockTable"/> of block ids.
/// Block layout: [layer][token in block][kv_lora_rank + qk_rope_head_dim], so one layer's rows of a block are
/// contiguous and attention streams them in order.
/// Invariant: a block id is either in the free list or owned by exactly one table (prefix sharing with
/// reference counts is layered on top by the serving engine).
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _blocks;
    private readonly Stack<int> _freeBlocks;

    public KvCache(int layers, int latentRank, int ropeDim, int blockSizeTokens, int blockCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSizeTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        Layers = layers;
        LatentRank = latentRank;
        RopeDim = ropeDim;
        BlockSizeTokens = blockSizeTokens;
        _blocks = new float[blockCount][];
        for (int i = 0; i < blockCount; i++)
        {
            _blocks[i] = new float[layers * blockSizeTokens * RowLength];
        }

        _freeBlocks = new Stack<int>(Enumerable.Range(0, blockCount).Reverse());
    }

    public int Layers { get; }

    public int LatentRank { get; }

    public int RopeDim { get; }

    /// <summary>Floats per token per layer: latent then rope key.</summary>
    public int RowLength => LatentRank + RopeDim;

    public int BlockSizeTokens { get; }

    public int BlockCount => _blocks.Length;

    public int FreeBlockCount => _freeBlocks.Count;

    /// <summary>Bytes one cached token occupies over all layers.</summary>
    public long BytesPerToken => 4L * Layers * RowLength;

    /// <summary>Grows <paramref name="table"/> so it can hold <paramref name="tokens"/> tokens.</summary>
    public void EnsureCapacity(KvBlockTable table, int tokens)
    {
        int needed = (tokens + BlockSizeTokens - 1) / BlockSizeTokens;
        if (needed - table.Count > _freeBlocks.Count)
        {
            throw new InvalidOperationException(
                $"KV cache is full: {tokens} tokens need {needed - table.Count} more blocks, {_freeBlocks.Count} free");
        }

        while (table.Count < needed)
        {
            table.Add(_freeBlocks.Pop());
        }
    }

    /// <summary>Returns every block of <paramref name="table"/> to the free list.</summary>
    public void Release(KvBlockTable table)
    {
        foreach (int block in table.BlockIds)
        {
            _freeBlocks.Push(block);
        }

        table.Clear();
    }

    /// <summary>The [RowLength] row of <paramref name="position"/> in <paramref name="layer"/>.</summary>
    public Span<float> Row(KvBlockTable table, int layer, int position)
    {
        int block = table[position / BlockSizeTokens];
        int offset = ((layer * BlockSizeTokens) + (position % BlockSizeTokens)) * RowLength;
        return _blocks[block].AsSpan(offset, RowLength);
    }

    /// <summary>
    /// The contiguous rows of <paramref name="layer"/> in the table's <paramref name="blockIndex"/>-th block:
    /// [BlockSizeTokens, RowLength]; the caller takes only the positions that are filled.
    /// </summary>
    public ReadOnlySpan<float> BlockRows(KvBlockTable table, int layer, int blockIndex) =>
        _blocks[table[blockIndex]].AsSpan(layer * BlockSizeTokens * RowLength, BlockSizeTokens * RowLength);
}
