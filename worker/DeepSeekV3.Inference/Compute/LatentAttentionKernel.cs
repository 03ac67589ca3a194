using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA attention in the latent space for a tile of up to 4 consecutive query tokens of one sequence and a group of its
/// heads (at most <see cref="MaxGroupRows"/> query rows in all). A cache row is [latent | rope key] and a query is [q·W_UK | roped q_pe], so a score is one 576-long dot
/// product: scores come from the register-tiled <see cref="LinearKernel"/> (4 query rows × 4 cached rows per tile).
/// The keys go by in chunks of <see cref="ChunkKeys"/> with an online softmax (FlashAttention's running maximum and
/// sum per query row, earlier outputs rescaled when the maximum grows): each chunk's rows are scored and their latents
/// accumulated while they are still in L1, so a long context is read from memory once, front to back. (Scoring every
/// key first and then accumulating in four strided passes read it five times: at 2048 keys, 8 heads, one token, 275 us
/// per layer, 2026-12-06.) The output Σ p·latent is accumulated 4 rows × 64 lanes at a time. MLA shares one cache row
/// among all heads, so a group of heads reads the keys once where one task per head read them once per head.
/// A task may cover only a range of the keys (a split of a long context over several threads): it then leaves its
/// unnormalized sums with their running maximum and sum, and <see cref="Combine"/> merges the ranges.
/// </summary>
internal static class LatentAttentionKernel
{
    public const int TileTokens = 4;

    /// <summary>Query rows (tokens × heads) attended together by one task at most.</summary>
    public const int MaxGroupRows = 16;

    /// <summary>Keys scored and accumulated together: 64 rows of 576 floats (DeepSeek-V3) are 144 KB, L2-resident.</summary>
    public const int ChunkKeys = 64;

    /// <summary>
    /// How far ahead of the panel it scores a task asks for cached rows (<see cref="KvCache.PrefetchRows"/>; the first
    /// ones before it starts). One token, 8 heads, 2048 cached positions, the `small` preset, Zen 4 (2026-12-07, the
    /// two settings alternating step by step in one process): scoring took 172-204 ns a key without the requests and
    /// 102-120 with them 8-24 keys ahead (4: 110; 32: 124-144; into L1 instead of L2: no gain), decode steps 1.12-1.14×
    /// as fast; 512 positions 1.03×, 128 within noise. The rows arrive while earlier panels compute, where the
    /// hardware prefetcher, which sees four short streams per panel and a jump at every 16-token block, left them in
    /// memory.
    /// </summary>
    private const int PrefetchKeys = 16;

    // queries [count · heads, rank + rope]: the tile's queries token by token (each token's heads in a row), concatenated as
    // a cache row is; count (1..4) tokens at positions firstPosition, firstPosition + 1, ...; keys [keyStart, keyEnd) of
    // those the tile sees. outputs [count · heads, rank] = Σ exp(score · scale - maximum) · latent, maxima and sums per
    // row: divide by the sum (or Combine key ranges) for the attention output. A row that sees no key of the range keeps
    // maximum -∞, sum 0 and output 0.
    public static void AttendTile(ReadOnlySpan<float> queries, int count, int heads, int firstPosition, int keyStart, int keyEnd,
        KvCache cache, KvBlockTable table, int layer, float softmaxScale, Span<float> outputs, Span<float> maxima, Span<float> sums)
    {
        int rowLength = cache.RowLength, rank = cache.LatentRank, blockSize = cache.BlockSizeTokens;
        int queryRows = count * heads;
        var scores = CpuBackend.RowScratch(queryRows * ChunkKeys); // [query row, key of the chunk]
        maxima[..queryRows].Fill(float.NegativeInfinity);
        sums[..queryRows].Clear();
        outputs[..(queryRows * rank)].Clear();
        for (int p = keyStart; p < Math.Min(keyEnd, keyStart + PrefetchKeys); p += LinearKernel.PanelRows)
        {
            cache.PrefetchRows(table, layer, p, Math.Min(LinearKernel.PanelRows, keyEnd - p));
        }

        for (int chunkStart = keyStart; chunkStart < keyEnd; chunkStart += ChunkKeys)
        {
            int chunkLength = Math.Min(ChunkKeys, keyEnd - chunkStart);
            for (int p = chunkStart; p < chunkStart + chunkLength;)
            {
                int block = p / blockSize, inBlock = p % blockSize;
                var rows = cache.BlockRows(table, layer, block);
                int take = Math.Min(blockSize - inBlock, chunkStart + chunkLength - p);
                for (int i = 0; i < take; i += LinearKernel.PanelRows)
                {
                    int panelRows = Math.Min(LinearKernel.PanelRows, take - i);
                    int ahead = p + i + PrefetchKeys;
                    if (ahead < keyEnd)
                    {
                        cache.PrefetchRows(table, layer, ahead, Math.Min(LinearKernel.PanelRows, keyEnd - ahead));
                    }

                    LinearKernel.Multiply(rows.Slice((inBlock + i) * rowLength, panelRows * rowLength), panelRows, queries, queryRows,
                        rowLength, scores, ChunkKeys, p - chunkStart + i);
                }

                p += take;
            }

            for (int q = 0; q < queryRows; q++)
            {
                // Causal: token t attends to positions 0..firstPosition + t; the rest of the chunk weighs 0.
                int visible = Math.Clamp(firstPosition + (q / heads) + 1 - chunkStart, 0, chunkLength);
                var row = scores.Slice(q * ChunkKeys, chunkLength);
                row[visible..].Clear();
                if (visible == 0)
                {
                    continue;
                }

                var weights = row[..visible];
                TensorPrimitives.Multiply(weights, softmaxScale, weights);
                float maximum = MathF.Max(maxima[q], TensorPrimitives.Max(weights));
                TensorPrimitives.Subtract(weights, maximum, weights);
                TensorPrimitives.Exp(weights, weights);
                if (maximum != maxima[q] && sums[q] != 0)
                {
                    float correction = MathF.Exp(maxima[q] - maximum);
                    sums[q] *= correction;
                    var output = outputs.Slice(q * rank, rank);
                    TensorPrimitives.Multiply(output, correction, output);
                }

                maxima[q] = maximum;
                sums[q] += TensorPrimitives.Sum(weights);
            }

            for (int q = 0; q < queryRows; q += 4)
            {
                Accumulate(scores[(q * ChunkKeys)..], chunkStart, chunkLength, Math.Min(4, queryRows - q), cache, table, layer, rank,
                    outputs[(q * rank)..]);
            }
        }
    }

    /// <summary>
    /// target[row] = Σ_s exp(m_s - M) · o_s / Σ_s exp(m_s - M) · l_s over the key ranges s of one query row, M the largest
    /// m_s: the attention output from the unnormalized sums o, maxima m and sums l that <see cref="AttendTile"/> left
    /// for each range (FlashDecoding's split-K reduction). Ranges the row saw nothing of (m = -∞) add nothing.
    /// </summary>
    public static void Combine(ReadOnlySpan<float> outputs, int outputStride, ReadOnlySpan<float> maxima, ReadOnlySpan<float> sums,
        int stride, int ranges, Span<float> target)
    {
        float maximum = float.NegativeInfinity;
        for (int s = 0; s < ranges; s++)
        {
            maximum = MathF.Max(maximum, maxima[s * stride]);
        }

        target.Clear();
        float total = 0;
        for (int s = 0; s < ranges; s++)
        {
            if (sums[s * stride] == 0)
            {
                continue;
            }

            float weight = MathF.Exp(maxima[s * stride] - maximum);
            total += weight * sums[s * stride];
            TensorPrimitives.MultiplyAdd(outputs.Slice(s * outputStride, target.Length), weight, target, target);
        }

        TensorPrimitives.Divide(target, total, target);
    }

    /// <summary>
    /// outputs[t] += Σ_p weights[t, p - firstKey] · latent_p for p in [firstKey, firstKey + keyCount), t &lt; count, weights
    /// [count, ChunkKeys]: 64 lanes × up to 4 rows per pass over the keys (16 accumulators: each latent vector loaded feeds
    /// 4 FMAs and each broadcast weight 4 more), then 16 lanes at a time for the rest.
    /// </summary>
    private static void Accumulate(ReadOnlySpan<float> weights, int firstKey, int keyCount, int count, KvCache cache, KvBlockTable table,
        int layer, int rank, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens, lanes = Vector512<float>.Count;
        int vectorEnd = Vector512.IsHardwareAccelerated ? rank / lanes * lanes : 0;
        int wideEnd = rank / (4 * lanes) * 4 * lanes;
        int c = 0;
        for (; c < wideEnd && Vector512.IsHardwareAccelerated; c += 4 * lanes)
        {
            AccumulateWide(weights, firstKey, keyCount, count, cache, table, layer, rank, c, outputs);
        }

        for (; c < vectorEnd; c += lanes)
        {
            AccumulateNarrow(weights, firstKey, keyCount, count, cache, table, layer, rank, c, outputs);
        }

        // Lanes past the last whole vector (and every lane without AVX-512): plain multiply-adds.
        if (vectorEnd < rank)
        {
            for (int t = 0; t < count; t++)
            {
                var output = outputs.Slice((t * rank) + vectorEnd, rank - vectorEnd);
                for (int p = firstKey; p < firstKey + keyCount; p++)
                {
                    var row = cache.BlockRows(table, layer, p / blockSize).Slice((p % blockSize) * rowLength, rowLength);
                    TensorPrimitives.MultiplyAdd(row[vectorEnd..rank], weights[(t * ChunkKeys) + p - firstKey], output, output);
                }
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateWide(ReadOnlySpan<float> weights, int firstKey, int keyCount, int count, KvCache cache, KvBlockTable table,
        int layer, int rank, int c, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens;
        ref float w = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(weights);
        // Rows past count read row 0's weights; their sums are never stored.
        int k1 = count > 1 ? ChunkKeys : 0, k2 = count > 2 ? 2 * ChunkKeys : 0, k3 = count > 3 ? 3 * ChunkKeys : 0;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int p = firstKey, j = 0; p < firstKey + keyCount;)
        {
            int inBlock = p % blockSize, take = Math.Min(blockSize - inBlock, firstKey + keyCount - p);
            ref float row = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(cache.BlockRows(table, layer, p / blockSize));
            for (int i = inBlock; i < inBlock + take; i++, j++)
            {
                nuint at = (nuint)((i * rowLength) + c);
                var l0 = Vector512.LoadUnsafe(ref row, at);
                var l1 = Vector512.LoadUnsafe(ref row, at + 16);
                var l2 = Vector512.LoadUnsafe(ref row, at + 32);
                var l3 = Vector512.LoadUnsafe(ref row, at + 48);
                var b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, j));
                a00 = Vector512.FusedMultiplyAdd(l0, b, a00); a01 = Vector512.FusedMultiplyAdd(l1, b, a01);
                a02 = Vector512.FusedMultiplyAdd(l2, b, a02); a03 = Vector512.FusedMultiplyAdd(l3, b, a03);
                b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, k1 + j));
                a10 = Vector512.FusedMultiplyAdd(l0, b, a10); a11 = Vector512.FusedMultiplyAdd(l1, b, a11);
                a12 = Vector512.FusedMultiplyAdd(l2, b, a12); a13 = Vector512.FusedMultiplyAdd(l3, b, a13);
                b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, k2 + j));
                a20 = Vector512.FusedMultiplyAdd(l0, b, a20); a21 = Vector512.FusedMultiplyAdd(l1, b, a21);
                a22 = Vector512.FusedMultiplyAdd(l2, b, a22); a23 = Vector512.FusedMultiplyAdd(l3, b, a23);
                b = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref w, k3 + j));
                a30 = Vector512.FusedMultiplyAdd(l0, b, a30); a31 = Vector512.FusedMultiplyAdd(l1, b, a31);
                a32 = Vector512.FusedMultiplyAdd(l2, b, a32); a33 = Vector512.FusedMultiplyAdd(l3, b, a33);
            }

            p += take;
        }

        Add4(outputs.Slice(c), a00, a01, a02, a03);
        if (count > 1)
        {
            Add4(outputs.Slice(rank + c), a10, a11, a12, a13);
        }

        if (count > 2)
        {
            Add4(outputs.Slice((2 * rank) + c), a20, a21, a22, a23);
        }

        if (count > 3)
        {
            Add4(outputs.Slice((3 * rank) + c), a30, a31, a32, a33);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Add4(Span<float> target, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Add(target, a);
        Add(target[16..], b);
        Add(target[32..], c);
        Add(target[48..], d);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Add(Span<float> target, Vector512<float> sum) => (Vector512.Create((ReadOnlySpan<float>)target) + sum).CopyTo(target);

    private static void AccumulateNarrow(ReadOnlySpan<float> weights, int firstKey, int keyCount, int count, KvCache cache, KvBlockTable table,
        int layer, int rank, int c, Span<float> outputs)
    {
        int rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens, lanes = Vector512<float>.Count;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int p = firstKey, j = 0; p < firstKey + keyCount; p++, j++)
        {
            var row = cache.BlockRows(table, layer, p / blockSize);
            var latent = Vector512.Create(row.Slice(((p % blockSize) * rowLength) + c, lanes));
            a0 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[j]), a0);
            if (count > 1)
            {
                a1 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[ChunkKeys + j]), a1);
            }

            if (count > 2)
            {
                a2 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[(2 * ChunkKeys) + j]), a2);
            }

            if (count > 3)
            {
                a3 = Vector512.FusedMultiplyAdd(latent, Vector512.Create(weights[(3 * ChunkKeys) + j]), a3);
            }
        }

        Add(outputs.Slice(c, lanes), a0);
        if (count > 1)
        {
            Add(outputs.Slice(rank + c, lanes), a1);
        }

        if (count > 2)
        {
            Add(outputs.Slice((2 * rank) + c, lanes), a2);
        }

        if (count > 3)
        {
            Add(outputs.Slice((3 * rank) + c, lanes), a3);
        }
    }
}
