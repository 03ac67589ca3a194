using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA attention in the latent space for a tile of up to 4 consecutive query tokens of one sequence and a group of up
/// to 4 heads. A cache row is [latent | rope key] and a query is [q·W_UK | roped q_pe], so a score is one 576-long dot
/// product: scores come from the register-tiled <see cref="LinearKernel"/> (4 query rows × 4 cached rows per tile),
/// the causal mask and softmax are applied per query row, and the output Σ p·latent is accumulated 4 rows × 64 lanes
/// at a time. MLA shares one cache row among all heads, so a group of heads reads the keys once where one task per head
/// read them once per head (decode, 8 heads, keys cold from memory: 29 us per layer before, 2026-12-06).
/// </summary>
internal static class LatentAttentionKernel
{
    public const int TileTokens = 4;

    /// <summary>Heads attended together by one task.</summary>
    public const int GroupHeads = 4;

    // queries [count · heads, rank + rope]: the tile's queries token by token (each token's heads in a row), concatenated as
    // a cache row is; count (1..4) tokens at positions firstPosition, firstPosition + 1, ...; outputs [count · heads, rank].
    public static void AttendTile(ReadOnlySpan<float> queries, int count, int heads, int firstPosition, KvCache cache,
        KvBlockTable table, int layer, float softmaxScale, Span<float> outputs)
    {
        int rowLength = cache.RowLength, rank = cache.LatentRank, blockSize = cache.BlockSizeTokens;
        int keys = firstPosition + count; // the last token sees every key up to itself
        int queryRows = count * heads;
        var scores = CpuBackend.RowScratch(queryRows * keys); // [query row, keys]

        for (int block = 0, p = 0; p < keys; block++)
        {
            var rows = cache.BlockRows(table, layer, block);
            int inBlock = Math.Min(blockSize, keys - p);
            for (int i = 0; i < inBlock; i += LinearKernel.PanelRows)
            {
                int panelRows = Math.Min(LinearKernel.PanelRows, inBlock - i);
                LinearKernel.Multiply(rows.Slice(i * rowLength, panelRows * rowLength), panelRows, queries, queryRows, rowLength,
                    scores, keys, p + i);
            }

            p += inBlock;
        }

        for (int q = 0; q < queryRows; q++)
        {
            int visible = firstPosition + (q / heads) + 1; // causal: token t attends to positions 0..firstPosition + t
            PackedLatentAttention.Softmax(scores.Slice(q * keys, visible), softmaxScale);
            scores.Slice((q * keys) + visible, keys - visible).Clear();
        }

        for (int q = 0; q < queryRows; q += 4)
        {
            Accumulate(scores[(q * keys)..], keys, Math.Min(4, queryRows - q), cache, table, layer, rank, outputs[(q * rank)..]);
        }
    }

    /// <summary>
    /// outputs[t] = Σ_p weights[t, p] · latent_p, 64 lanes × up to 4 tokens per pass over the keys (16 accumulators: each
    /// latent vector loaded feeds 4 FMAs and each broadcast weight 4 more), then 16 lanes at a time for the rest.
    /// </summary>
    private static void Accumulate(ReadOnlySpan<float> weights, int keys, int count, KvCache cache, KvBlockTable table, int layer,
        int rank, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens, lanes = Vector512<float>.Count;
        int vectorEnd = Vector512.IsHardwareAccelerated ? rank / lanes * lanes : 0;
        int wideEnd = rank / (4 * lanes) * 4 * lanes;
        int c = 0;
        for (; c < wideEnd && Vector512.IsHardwareAccelerated; c += 4 * lanes)
        {
            AccumulateWide(weights, keys, count, cache, table, layer, rank, c, outputs);
        }

        for (; c < vectorEnd; c += lanes)
        {
            AccumulateNarrow(weights, keys, count, cache, table, layer, rank, c, outputs);
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

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWide(ReadOnlySpan<float> weights, int keys, int count, KvCache cache, KvBlockTable table, int layer,
        int rank, int c, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens;
        ref float w = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(weights);
        // Tokens past count read token 0's weights; their sums are never stored.
        int k1 = count > 1 ? keys : 0, k2 = count > 2 ? 2 * keys : 0, k3 = count > 3 ? 3 * keys : 0;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int block = 0, p = 0; p < keys; block++)
        {
            var rows = cache.BlockRows(table, layer, block);
            ref float row = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rows);
            int inBlock = Math.Min(blockSize, keys - p);
            for (int i = 0; i < inBlock; i++, p++)
            {
                nuint at = (nuint)((i * rowLength) + c);
                var l0 = Vector512.LoadUnsafe(ref row, at);
                var l1 = Vector512.LoadUnsafe(ref row, at + 16);
                var l2 = Vector512.LoadUnsafe(ref row, at + 32);
                var l3 = Vector512.LoadUnsafe(ref row, at + 48);
                var b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, p));
                a00 = Vector512.FusedMultiplyAdd(l0, b, a00); a01 = Vector512.FusedMultiplyAdd(l1, b, a01);
                a02 = Vector512.FusedMultiplyAdd(l2, b, a02); a03 = Vector512.FusedMultiplyAdd(l3, b, a03);
                b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, k1 + p));
                a10 = Vector512.FusedMultiplyAdd(l0, b, a10); a11 = Vector512.FusedMultiplyAdd(l1, b, a11);
                a12 = Vector512.FusedMultiplyAdd(l2, b, a12); a13 = Vector512.FusedMultiplyAdd(l3, b, a13);
                b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, k2 + p));
                a20 = Vector512.FusedMultiplyAdd(l0, b, a20); a21 = Vector512.FusedMultiplyAdd(l1, b, a21);
                a22 = Vector512.FusedMultiplyAdd(l2, b, a22); a23 = Vector512.FusedMultiplyAdd(l3, b, a23);
                b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, k3 + p));
                a30 = Vector512.FusedMultiplyAdd(l0, b, a30); a31 = Vector512.FusedMultiplyAdd(l1, b, a31);
                a32 = Vector512.FusedMultiplyAdd(l2, b, a32); a33 = Vector512.FusedMultiplyAdd(l3, b, a33);
            }
        }

        Store4(outputs.Slice(c), a00, a01, a02, a03);
        if (count > 1)
        {
            Store4(outputs.Slice(rank + c), a10, a11, a12, a13);
        }

        if (count > 2)
        {
            Store4(outputs.Slice((2 * rank) + c), a20, a21, a22, a23);
        }

        if (count > 3)
        {
            Store4(outputs.Slice((3 * rank) + c), a30, a31, a32, a33);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Store4(Span<float> target, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.CopyTo(target);
        b.CopyTo(target[16..]);
        c.CopyTo(target[32..]);
        d.CopyTo(target[48..]);
    }

    private static void AccumulateNarrow(ReadOnlySpan<float> weights, int keys, int count, KvCache cache, KvBlockTable table,
        int layer, int rank, int c, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens, lanes = Vector512<float>.Count;
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
}
