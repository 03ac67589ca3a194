using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA latent attention for a prefill chunk as two matrix products through <see cref="PackedGemmKernel"/>: every head
/// of MLA reads the same cache rows, so a block of 8 tokens × all heads (64 query rows for 8 heads) is one
/// product with the cache rows [latent | rope key] (scores), a causal softmax per row, and one product with the latents
/// (outputs). The per-head tile kernel (<see cref="LatentAttentionKernel"/>) read every key twice per head and 4
/// tokens; here a key is read twice per 8 tokens for all heads, by the same kernel the weights go through.
/// The run's cache rows are gathered once per layer (<see cref="PrepareKeys"/>), latents also transposed, since the
/// output product takes them as [rank, keys] rows.
/// </summary>
internal static unsafe class PackedLatentAttention
{
    /// <summary>Runs of at least this many consecutive tokens of one sequence go through the block path.</summary>
    public const int MinRunTokens = 32;

    public const int BlockTokens = 8;

    /// <summary>Longer contexts keep the tile kernel: a block's scores ([block rows, keys]) stay within 8 MB.</summary>
    public const int MaxKeys = 4096;

    [ThreadStatic]
    private static float[]? t_queries;

    [ThreadStatic]
    private static float[]? t_scores;

    public static bool IsSupported => PackedGemmKernel.IsSupported;

    /// <summary>Floats a run of <paramref name="keys"/> keys takes in <see cref="PrepareRun"/>'s layout.</summary>
    public static long RunFloats(int keys, int rowLength, int rank) =>
        ((long)keys * (rowLength + rank)) + PackedGemmKernel.PackedPanelFloats(keys, rowLength) + PackedGemmKernel.PackedPanelFloats(rank, keys);

    /// <summary>
    /// A run's keys in the layout <see cref="AttendBlock"/> reads, at <paramref name="run"/>: the cache rows and the
    /// latents transposed (see <see cref="PrepareKeys"/>), then both packed once into the kernel's panels, which every
    /// block of the run multiplies (packed again for each block, they were a tenth of a 1024-token prefill's attention).
    /// </summary>
    public static void PrepareRun(KvCache cache, KvBlockTable table, int layer, int keys, float* run)
    {
        int rowLength = cache.RowLength, rank = cache.LatentRank;
        float* keyRows = run, latentT = run + ((long)keys * rowLength), keyPanels = latentT + ((long)rank * keys);
        PrepareKeys(cache, table, layer, keys, keyRows, latentT);
        PackedGemmKernel.PackPanels(keyRows, rowLength, keys, rowLength, keyPanels);
        PackedGemmKernel.PackPanels(latentT, keys, rank, keys, keyPanels + PackedGemmKernel.PackedPanelFloats(keys, rowLength));
    }

    /// <summary>keyRows[p] = the layer's cache row at position p, latentT[d, p] = its latent's d-th value, for p &lt; keys.</summary>
    public static void PrepareKeys(KvCache cache, KvBlockTable table, int layer, int keys, float* keyRows, float* latentT)
    {
        int rowLength = cache.RowLength, rank = cache.LatentRank, blockSize = cache.BlockSizeTokens;
        for (int block = 0, p = 0; p < keys; block++)
        {
            var rows = cache.BlockRows(table, layer, block);
            int inBlock = Math.Min(blockSize, keys - p);
            rows[..(inBlock * rowLength)].CopyTo(new Span<float>(keyRows + ((long)p * rowLength), inBlock * rowLength));
            fixed (float* source = rows)
            {
                // Whole 16 x 16 squares transposed in registers; the rest (a partly filled block, odd ranks) one by one.
                int square = inBlock == 16 ? rank & ~15 : 0;
                for (int d = 0; d < square; d += 16)
                {
                    PackedGemmKernel.Transpose16(source + d, rowLength, latentT + ((long)d * keys) + p, keys);
                }

                for (int i = 0; i < inBlock; i++)
                {
                    for (int d = square; d < rank; d++)
                    {
                        latentT[((long)d * keys) + p + i] = source[(i * rowLength) + d];
                    }
                }
            }

            p += inBlock;
        }
    }

    /// <summary>
    /// output[t, h] for the tokens [first, first + count) of the step, at positions firstPosition.. of a run whose keys
    /// were prepared at <paramref name="run"/> (<see cref="PrepareRun"/>; <paramref name="keys"/> of them, at least
    /// firstPosition + count); qLatent [n, heads, rank], qRope [n, heads, rope], output [n, heads, rank].
    /// </summary>
    public static void AttendBlock(float* qLatent, float* qRope, float* output, int heads, int first, int count, int firstPosition,
        float* run, int keys, int rank, int ropeDim, float softmaxScale)
    {
        int rowLength = rank + ropeDim, rows = count * heads, visibleKeys = firstPosition + count;
        float* keyPanels = run + ((long)keys * (rowLength + rank));
        float* latentPanels = keyPanels + PackedGemmKernel.PackedPanelFloats(keys, rowLength);
        fixed (float* queries = AlignedScratch.Get(ref t_queries, rows * rowLength))
        fixed (float* scores = AlignedScratch.Get(ref t_scores, rows * visibleKeys))
        {
            // Query rows [q·W_UK | roped q_pe], shaped as cache rows; row r is token first + r / heads, head r % heads.
            long item = (long)first * heads;
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(qLatent + ((item + r) * rank), rank).CopyTo(new Span<float>(queries + ((long)r * rowLength), rank));
                new ReadOnlySpan<float>(qRope + ((item + r) * ropeDim), ropeDim)
                    .CopyTo(new Span<float>(queries + ((long)r * rowLength) + rank, ropeDim));
            }

            // The block sees the run's first visibleKeys keys: the first panels of the keys, the first columns of the latents.
            PackedGemmKernel.ComputeOnPanels(keyPanels, rowLength, visibleKeys, rowLength, queries, rows, scores, visibleKeys);
            for (int r = 0; r < rows; r++)
            {
                int visible = firstPosition + (r / heads) + 1; // causal: positions 0..own position
                var row = new Span<float>(scores + ((long)r * visibleKeys), visibleKeys);
                Softmax(row[..visible], softmaxScale);
                row[visible..].Clear();
            }

            PackedGemmKernel.ComputeOnPanels(latentPanels, keys, rank, visibleKeys, scores, rows, output + (item * rank), rank);
        }
    }

    /// <summary>softmax(scale · row) in place, as the tile kernel computes it.</summary>
    public static void Softmax(Span<float> row, float scale)
    {
        TensorPrimitives.Multiply(row, scale, row);
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
    }
}
