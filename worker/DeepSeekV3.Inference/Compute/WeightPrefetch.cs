using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Software prefetch for the multi-token decode kernels and the prefill kernel's panel decoding (batch 1 reads its rows
/// as two sequential streams instead, <see cref="TwoStreamGemv"/>, which the hardware prefetcher serves alone). They walk
/// a block of 4, 8 or 12 weight rows column by column, one stream per row; the rows of a model this size are short
/// (1-2 KB), so each stream ends before the hardware prefetcher has ramped up, and one core then keeps too few cache
/// lines in flight to reach the memory bandwidth. While a block computes, the kernel requests the next block (the rows
/// right below), the same number of bytes per step as it reads: batch-1 FP8 decode +35-45 %, BF16 +8 % on the
/// development machine when batch 1 still ran through them; prefill +2-7 %. Prefetches never fault, so the requests past
/// a slice's last block (into a neighbour's rows) are harmless.
/// </summary>
internal static unsafe class WeightPrefetch
{
    /// <summary>Off with DSV3_PREFETCH=0, to measure what it brings.</summary>
    public static readonly bool Enabled = Sse.IsSupported && Environment.GetEnvironmentVariable("DSV3_PREFETCH") != "0";

    /// <summary>Requests the cache lines of [start, start + bytes) into L1 (nothing when prefetch is off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Lines(byte* start, int bytes)
    {
        // A static readonly flag: the optimizing JIT folds this test away (CpuBackend initializes the class before any
        // kernel is compiled, which the folding needs).
        if (!Enabled)
        {
            return;
        }

        for (int offset = 0; offset < bytes; offset += 64)
        {
            Sse.Prefetch0(start + offset);
        }
    }
}
