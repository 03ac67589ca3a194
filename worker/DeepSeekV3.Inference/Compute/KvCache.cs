namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Paged storage for the MLA cache. Per token and layer DeepSeek-V3 caches only the normalized compressed
/// latent (<c>kv_lora_rank</c>) and the roped shared key (<c>qk_rope_head_dim</c>): 576 floats instead of
/// 2·128·128 — the memory win of MLA. Storage is cut into blocks of <see cref="BlockSizeTokens"/> tokens;
/// a sequence reaches its rows through a <see cref="KvBlockTable"/> of block ids. Which block belongs to whom is
/// decided elsewhere (<see cref="KvBlockAllocator"/> for single runs, the serving engine's block manager with
/// prefix sharing): this class only stores.
/// Block layout: [layer][token in block][kv_lora_rank + qk_rope_head_dim], so one layer's rows of a block are
/// contiguous and attention streams them in order.
/// </summary>
public sealed unsafe class KvCache
{
    private readonly float[][] _blocks;

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
    }

    public int Layers { get; }

    public int LatentRank { get; }

    public int RopeDim { get; }

    /// <summary>Floats per token per layer: latent then rope key.</summary>
    public int RowLength => LatentRank + RopeDim;

    public int BlockSizeTokens { get; }

    public int BlockCount => _blocks.Length;

    /// <summary>Bytes one cached token occupies over all layers.</summary>
    public long BytesPerToken => 4L * Layers * RowLength;

    /// <summary>Blocks needed to hold <paramref name="tokens"/> tokens.</summary>
    public int BlocksFor(int tokens) => (tokens + BlockSizeTokens - 1) / BlockSizeTokens;

    /// <summary>The [RowLength] row of <paramref name="position"/> in <paramref name="layer"/>.</summary>
    public Span<float> Row(KvBlockTable table, int layer, int position)
    {
        int block = table[position / BlockSizeTokens];
        int offset = ((layer * BlockSizeTokens) + (position % BlockSizeTokens)) * RowLength;
        return _blocks[block].AsSpan(offset, RowLength);
    }

    /// <summary>
    /// Asks for the rows of positions [<paramref name="position"/>, + <paramref name="count"/>) of <paramref name="layer"/>,
    /// as far as they lie in one block, to be brought into L2 (prefetcht1): attention reads a layer's cached rows a few
    /// at a time side by side (<see cref="LatentAttentionKernel"/>), short streams a block apart that the hardware
    /// prefetcher does not follow, so without the request every row waits on memory.
    /// </summary>
    public void PrefetchRows(KvBlockTable table, int layer, int position, int count)
    {
        int rows = Math.Min(count, BlockSizeTokens - (position % BlockSizeTokens));
        if (rows <= 0)
        {
            return;
        }

        // The block's rows of one layer are contiguous: the request runs on from the first row's start.
        fixed (float* start = Row(table, layer, position))
        {
            WeightPrefetch.LinesIntoL2((byte*)start, (long)rows * RowLength * sizeof(float));
        }
    }

    /// <summary>
    /// The contiguous rows of <paramref name="layer"/> in the table's <paramref name="blockIndex"/>-th block:
    /// [BlockSizeTokens, RowLength]; the caller takes only the positions that are filled. Always inlined: the attention
    /// kernels call it inside loops that keep 16 sums in registers, and when a version of it was not inlined the JIT kept
    /// those sums on the stack instead, loading and storing them at every key (accumulation 3× slower).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<float> BlockRows(KvBlockTable table, int layer, int blockIndex) =>
        _blocks[table[blockIndex]].AsSpan(layer * BlockSizeTokens * RowLength, BlockSizeTokens * RowLength);
}
