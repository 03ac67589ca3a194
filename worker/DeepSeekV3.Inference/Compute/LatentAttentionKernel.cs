using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA attention in the latent space for a tile of up to 4 consecutive query tokens of one sequence and one head.
/// A cache row is [latent | rope key] and a query is [q·W_UK | roped q_pe], so a score is one 576-long dot product:
/// scores come from the register-tiled <see cref="LinearKernel"/> (4 queries × 4 cached rows per tile), the causal mask
/// is applied per token, softmax per token, and the output Σ p·latent is accumulated 4 tokens × 16 lanes at a time.
/// </summary>
internal static class LatentAttentionKernel
{
    public const int TileTokens = 4;

    // queries [count, rank + rope]: the tile's queries, concatenated as a cache row is; count (1..4) tokens at positions
    // firstPosition, firstPosition + 1, ...; outputs [count, rank].
    public static void AttendTile(ReadOnlySpan<float> queries, int count, int firstPosition, KvCache cache, KvBlockTable table,
        int layer, float softmaxScale, Span<float> outputs)
    {
        int rowLength = cache.RowLength, rank = cache.LatentRank, blockSize = cache.BlockSizeTokens;
        int keys = firstPosition + count; // the last token sees every key up to itself
        var scores = CpuBackend.RowScratch(TileTokens * keys); // [count, keys]

        for (int block = 0, p = 0; p < keys; block++)
        {
            var rows = cache.BlockRows(table, layer, block);
            int inBlock = Math.Min(blockSize, keys - p);
            for (int i = 0; i < inBlock; i += LinearKernel.PanelRows)
            {
                int panelRows = Math.Min(LinearKernel.PanelRows, inBlock - i);
                LinearKernel.Multiply(rows.Slice(i * rowLength, panelRows * rowLength), panelRows, queries, count, rowLength,
                    scores, keys, p + i);
            }

            p += inBlock;
        }

        for (int t = 0; t < count; t++)
        {
            int visible = firstPosition + t + 1; // causal: token t attends to positions 0..firstPosition + t
            var row = scores.Slice(t * keys, visible);
            TensorPrimitives.Multiply(row, softmaxScale, row);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
            scores.Slice((t * keys) + visible, keys - visible).Clear();
        }

        Accumulate(scores, keys, count, cache, table, layer, rank, outputs);
    }

    /// <summary>outputs[t] = Σ_p weights[t, p] · latent_p, 16 lanes × up to 4 tokens per pass over the keys.</summary>
    private static void Accumulate(ReadOnlySpan<float> weights, int keys, int count, KvCache cache, KvBlockTable table, int layer,
        int rank, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens, lanes = Vector512<float>.Count;
        int vectorEnd = Vector512.IsHardwareAccelerated ? rank / lanes * lanes : 0;
        for (int c = 0; c < vectorEnd; c += lanes)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int block = 0, p = 0; p < keys; block++)
            {
                var rows = cache.BlockRows(table, layer, block);
                int inBlock = Math.Min(blockSize, keys - p);
                for (int i = 0; i < inBlock; i++, p++)
                {
                    var latent = Vector512.Create(rows.Slice((i * rowLength) + c, lanes));
                    a0 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[p]), a0);
                    if (count > 1)
                    {
                        a1 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[keys + p]), a1);
                    }

                    if (count > 2)
                    {
                        a2 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[(2 * keys) + p]), a2);
                    }

                    if (count > 3)
                    {
                        a3 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[(3 * keys) + p]), a3);
                    }
                }
            }

            a0.CopyTo(outputs.Slice(c, lanes));
            if (count > 1)
            {
                a1.CopyTo(outputs.Slice(rank + c, lanes));
            }

            if (count > 2)
            {
                a2.CopyTo(outputs.Slice((2 * rank) + c, lanes));
            }

            if (count > 3)
            {
                a3.CopyTo(outputs.Slice((3 * rank) + c, lanes));
            }
        }

        // Lanes past the last whole vector (and every lane without AVX-512): plain multiply-adds.
        if (vectorEnd < rank)
        {
            for (int t = 0; t < count; t++)
            {
                var output = outputs.Slice((t * rank) + vectorEnd, rank - vectorEnd);
                output.Clear();
                for (int block = 0, p = 0; p < keys; block++)
                {
                    var rows = cache.BlockRows(table, layer, block);
                    int inBlock = Math.Min(blockSize, keys - p);
                    for (int i = 0; i < inBlock; i++, p++)
                    {
                        TensorPrimitives.MultiplyAdd(rows.Slice((i * rowLength) + vectorEnd, rank - vectorEnd), weights[(t * keys) + p], output, output);
                    }
                }
            }
        }
    }
}
