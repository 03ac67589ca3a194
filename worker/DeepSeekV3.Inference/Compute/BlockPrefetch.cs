namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// How a batch-1 kernel (FP8 or BF16) asks ahead for the stream it reads, as a type: the kernel is compiled once per kind, with
/// the call inlined (and, for <see cref="StreamAheadBlock"/>, folded away where the stream prefetch is off).
/// </summary>
internal unsafe interface IBlockPrefetch
{
    /// <summary>Asks for a line pair some way past the 128 bytes at <paramref name="position"/> (128 FP8 codes, 64 BF16 values).</summary>
    static abstract void Ahead(byte* position);
}

/// <summary><see cref="WeightPrefetch.StreamAheadBlock"/>: non-temporally, 4 KB ahead, where the processor gains by it.</summary>
internal readonly unsafe struct StreamAheadBlock : IBlockPrefetch
{
    public static void Ahead(byte* position) => WeightPrefetch.StreamAheadBlock(position);
}

/// <summary><see cref="WeightPrefetch.IntoL2AheadBlock"/>: into L2, 16 KB ahead, for rows too wide for x to stay in L1.</summary>
internal readonly unsafe struct IntoL2AheadBlock : IBlockPrefetch
{
    public static void Ahead(byte* position) => WeightPrefetch.IntoL2AheadBlock(position);
}
