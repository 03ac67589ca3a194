using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Decode-sized <c>y = x · Wᵀ</c> (2 to <see cref="MaxTokens"/> tokens, 6 or 4 at a time) for FP8 weights straight from
/// the stored codes: 16 codes at a time become float32 in registers (<see cref="Fp8Decoder"/>) and are multiplied into 4 rows × n tokens of
/// accumulators, so the weights cross the memory bus once and never round-trip through a scratch row. Generic over
/// <see cref="IWeightDecoder"/>, so the JIT specializes the loop for the decoder (BF16 has its own shuffle-free
/// <see cref="Bf16PairKernel"/>).
/// A 4-row panel lies inside one 128-row scale block, so the block scale of each 128-column block is folded into
/// a scaled copy of x (x·s, made once per row block): Σ code·(x·s) = Σ (code·s)·x, the reference's dequantized product
/// up to float rounding. The decoder's power-of-two offset rides along the same way. Needs AVX-512; elsewhere
/// <see cref="LinearRows"/> uses the dequantize-then-tile path.
/// </summary>
internal static unsafe class FusedGemvKernel
{
    /// <summary>
    /// Up to this many tokens use the fused kernel, in passes of a few tokens, on rows of <paramref name="columns"/>
    /// weights: a 4-row panel (4 × columns codes, a few KB) is read from memory for the first pass and from L1 for the
    /// next ones, so the weight stream stays the bound, while x (tokens × columns floats) is read again by every panel,
    /// from L2 as long as it fits there. Past it, the packed kernel decodes each panel once into float tiles and keeps x
    /// in L2-sized blocks; its decoding costs about as much as multiplying 32 tokens, and its 32-token lane groups a
    /// 25-31-token product fills only in part, so on the small model's 1024-column rows (one thread, 33 experts in
    /// turn, GFLOP/s fused vs packed) FP8 384 × 1024: 28 tokens 165-178 vs 137-140, 32 168-177 vs 162-163, 48 170-178 vs
    /// 163-172, 64 172-179 vs 181-188; 1024 × 384: 28 168 vs 139-140, 32-48 equal, 64 162-164 vs 174-175; BF16
    /// 384 × 1024: 28 175-181 vs 130-133, 48 182-183 vs 155-162. Hence 48 tokens while x stays within 256 KB, and never
    /// fewer than 24 (the rule measured before, with 24 tokens fused 150 vs packed 130): a prefill's experts see 5-41
    /// tokens each.
    /// </summary>
    public static int MaxTokens(int columns) => Math.Clamp(FusedInputFloats / Math.Max(1, columns), MinMaxTokens, MaxMaxTokens);

    private const int FusedInputFloats = 64 * 1024;
    private const int MinMaxTokens = 24;
    private const int MaxMaxTokens = 48;

    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// y[t, rowOffset + r] = decode(W[r]) · x[t] for the 4 rows starting at <paramref name="weights"/>, t &lt; n ≤
    /// MaxTokens(columns); x [n, columns] (for FP8 already carrying this panel's block scales).
    /// </summary>
    public static void Panel<TDecoder>(byte* weights, int columns, float* x, int n, float* y, int yStride, int rowOffset)
        where TDecoder : IWeightDecoder
    {
        for (int first = 0; first < n;)
        {
            int tokens = NextPassTokens(n - first);
            float* xs = x + ((long)first * columns), ys = y + ((long)first * yStride);
            switch (tokens)
            {
                case 1:
                    PanelTokens<TDecoder, OneToken>(weights, columns, xs, ys, yStride, rowOffset);
                    break;
                case 2:
                    PanelTokens<TDecoder, TwoTokens>(weights, columns, xs, ys, yStride, rowOffset);
                    break;
                case 3:
                    PanelTokens<TDecoder, ThreeTokens>(weights, columns, xs, ys, yStride, rowOffset);
                    break;
                case 4:
                    PanelTokens<TDecoder, FourTokens>(weights, columns, xs, ys, yStride, rowOffset);
                    break;
                case 5:
                    PanelTokens<TDecoder, FiveTokens>(weights, columns, xs, ys, yStride, rowOffset);
                    break;
                default:
                    PanelTokens<TDecoder, SixTokens>(weights, columns, xs, ys, yStride, rowOffset);
                    break;
            }

            first += tokens;
        }
    }

    /// <summary>
    /// Tokens of the next pass over a panel when <paramref name="rest"/> are left: every pass decodes the panel's weights
    /// again, so passes of 6 (24 accumulators) while what they leave splits into passes of 4 and at most one of 5, never
    /// a pass of 1 or 2 of its own (a lone token cost nearly a whole pass: 4 decodes per 4 multiply-adds; two, when
    /// passes still multiplied rows of zeros for missing tokens, rode in a 4-token pass half of zeros). One thread, FP8, 33 experts in turn (13 MB), GFLOP/s. Against passes of 4 only: 384 ×
    /// 1024, n = 5 155 → 165, 6 140 → 200, 9 151-165 → 168, 10 156 → 187, 13 163 → 170, 14 155 → 184. Against passes of
    /// 4 ending on one of 5 or 6, alternating in one process: 384 × 1024, n = 12 172-184 → 179-194, 16 168-177 → 175-186,
    /// 19 157-165 → 165-173, 24-44 equal; 1024 × 384, n = 12 174-178 → 192-193, 16 172-173 → 186-188, 23 156-158 → 178-179,
    /// 30 167-168 → 183-184.
    /// </summary>
    private static int NextPassTokens(int rest) => rest switch
    {
        <= 4 => rest,
        5 or 9 or 13 => 5, // then passes of 4 (a 6 would leave 3, 7 = 4 + 3, or 7)
        7 or 8 => 4,       // 4 + 3, 4 + 4 (a 6 would leave a pass of 1 or 2)
        _ => 6,
    };

    /// <summary>
    /// 1 to 6 tokens (<typeparamref name="TTokens"/>) through 4 rows: up to 4 rows × 6 tokens = 24 accumulators, 4 weight
    /// vectors and x in the 32 zmm registers (a pass of 1 only where a caller hands <see cref="Panel{TDecoder}"/> a lone
    /// token: LinearRows sends those to TwoStreamGemv). Compiled per count, so a pass multiplies only the tokens it has (one
    /// thread, FP8 in L2, medians of 4 alternating runs against the former passes that multiplied a row of zeros for a
    /// missing token: 3 tokens 384 × 1024 31.6 → 27.0 µs, 1024 × 384 33.7 → 27.9; a pass of 5 45.0 → 37.5 and
    /// 47.4 → 39.4; 7 tokens (4 + 3) 63.7 → 58.6 and 66.6 → 60.1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimized from the first call: no slow first steps
    private static void PanelTokens<TDecoder, TTokens>(byte* weights, int columns, float* x, float* y, int yStride, int rowOffset)
        where TDecoder : IWeightDecoder
        where TTokens : ITokenCount
    {
        long rowBytes = (long)columns * TDecoder.BytesPerWeight;
        byte* w0 = weights, w1 = weights + rowBytes, w2 = weights + (2 * rowBytes), w3 = weights + (3 * rowBytes);
        byte* next = weights + (4 * rowBytes);
        bool nextIntoL2 = WeightPrefetch.NextPanelIntoL2(columns, fp8: TDecoder.BytesPerWeight == 1);
        int vectorEnd = columns & ~15;
        float* x0 = x, x1 = x + columns, x2 = x + (2 * columns), x3 = x + (3 * columns), x4 = x + (4 * columns), x5 = x + (5 * columns);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
        Vector512<float> a50 = default, a51 = default, a52 = default, a53 = default;
        for (int i = 0; i < vectorEnd; i += 16)
        {
            long at = (long)i * TDecoder.BytesPerWeight;
            WeightPrefetch.NextPanel(next + (4 * at), 4 * 16 * TDecoder.BytesPerWeight, nextIntoL2);

            var v0 = TDecoder.Load16(w0 + at);
            var v1 = TDecoder.Load16(w1 + at);
            var v2 = TDecoder.Load16(w2 + at);
            var v3 = TDecoder.Load16(w3 + at);
            var xv = Vector512.Load(x0 + i);
            a00 = Avx512F.FusedMultiplyAdd(v0, xv, a00); a01 = Avx512F.FusedMultiplyAdd(v1, xv, a01);
            a02 = Avx512F.FusedMultiplyAdd(v2, xv, a02); a03 = Avx512F.FusedMultiplyAdd(v3, xv, a03);
            if (TTokens.Count > 1)
            {
                xv = Vector512.Load(x1 + i);
                a10 = Avx512F.FusedMultiplyAdd(v0, xv, a10); a11 = Avx512F.FusedMultiplyAdd(v1, xv, a11);
                a12 = Avx512F.FusedMultiplyAdd(v2, xv, a12); a13 = Avx512F.FusedMultiplyAdd(v3, xv, a13);
            }

            if (TTokens.Count > 2)
            {
                xv = Vector512.Load(x2 + i);
                a20 = Avx512F.FusedMultiplyAdd(v0, xv, a20); a21 = Avx512F.FusedMultiplyAdd(v1, xv, a21);
                a22 = Avx512F.FusedMultiplyAdd(v2, xv, a22); a23 = Avx512F.FusedMultiplyAdd(v3, xv, a23);
            }

            if (TTokens.Count > 3)
            {
                xv = Vector512.Load(x3 + i);
                a30 = Avx512F.FusedMultiplyAdd(v0, xv, a30); a31 = Avx512F.FusedMultiplyAdd(v1, xv, a31);
                a32 = Avx512F.FusedMultiplyAdd(v2, xv, a32); a33 = Avx512F.FusedMultiplyAdd(v3, xv, a33);
            }

            if (TTokens.Count > 4)
            {
                xv = Vector512.Load(x4 + i);
                a40 = Avx512F.FusedMultiplyAdd(v0, xv, a40); a41 = Avx512F.FusedMultiplyAdd(v1, xv, a41);
                a42 = Avx512F.FusedMultiplyAdd(v2, xv, a42); a43 = Avx512F.FusedMultiplyAdd(v3, xv, a43);
            }

            if (TTokens.Count > 5)
            {
                xv = Vector512.Load(x5 + i);
                a50 = Avx512F.FusedMultiplyAdd(v0, xv, a50); a51 = Avx512F.FusedMultiplyAdd(v1, xv, a51);
                a52 = Avx512F.FusedMultiplyAdd(v2, xv, a52); a53 = Avx512F.FusedMultiplyAdd(v3, xv, a53);
            }
        }

        Store<TDecoder>(y + rowOffset, a00, a01, a02, a03);
        if (TTokens.Count > 1)
        {
            Store<TDecoder>(y + yStride + rowOffset, a10, a11, a12, a13);
        }

        if (TTokens.Count > 2)
        {
            Store<TDecoder>(y + (2 * yStride) + rowOffset, a20, a21, a22, a23);
        }

        if (TTokens.Count > 3)
        {
            Store<TDecoder>(y + (3 * yStride) + rowOffset, a30, a31, a32, a33);
        }

        if (TTokens.Count > 4)
        {
            Store<TDecoder>(y + (4 * yStride) + rowOffset, a40, a41, a42, a43);
        }

        if (TTokens.Count > 5)
        {
            Store<TDecoder>(y + (5 * yStride) + rowOffset, a50, a51, a52, a53);
        }

        AddTail<TDecoder>(weights, columns, 4, x, TTokens.Count, y, yStride, rowOffset);
    }

    /// <summary>
    /// One or two tokens through 8 rows at once (16 accumulators): the 8-stream form of <see cref="PanelTokens{TDecoder, TTokens}"/>
    /// for two tokens (kernel alone, 8192², 2 threads: 28 -> 36-40 GB/s; for 4 tokens two passes gained nothing).
    /// y[t, r] for r &lt; 8, t &lt; n ≤ 2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EightRowsTwoTokens<TDecoder>(byte* weights, int columns, float* x, int n, float* y, int yStride)
        where TDecoder : IWeightDecoder
    {
        long rowBytes = (long)columns * TDecoder.BytesPerWeight;
        byte* w0 = weights, w1 = weights + rowBytes, w2 = weights + (2 * rowBytes), w3 = weights + (3 * rowBytes);
        byte* w4 = weights + (4 * rowBytes), w5 = weights + (5 * rowBytes), w6 = weights + (6 * rowBytes), w7 = weights + (7 * rowBytes);
        float* x0 = x, x1 = n > 1 ? x + columns : ZeroRow(columns);
        int vectorEnd = columns & ~15;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        byte* next = weights + (8 * rowBytes);
        bool nextIntoL2 = WeightPrefetch.NextPanelIntoL2(columns, fp8: TDecoder.BytesPerWeight == 1);
        for (int i = 0; i < vectorEnd; i += 16)
        {
            long at = (long)i * TDecoder.BytesPerWeight;
            WeightPrefetch.NextPanel(next + (8 * at), 8 * 16 * TDecoder.BytesPerWeight, nextIntoL2);

            var u = Vector512.Load(x0 + i);
            var v = Vector512.Load(x1 + i);
            var w = TDecoder.Load16(w0 + at);
            a0 = Avx512F.FusedMultiplyAdd(w, u, a0); b0 = Avx512F.FusedMultiplyAdd(w, v, b0);
            w = TDecoder.Load16(w1 + at);
            a1 = Avx512F.FusedMultiplyAdd(w, u, a1); b1 = Avx512F.FusedMultiplyAdd(w, v, b1);
            w = TDecoder.Load16(w2 + at);
            a2 = Avx512F.FusedMultiplyAdd(w, u, a2); b2 = Avx512F.FusedMultiplyAdd(w, v, b2);
            w = TDecoder.Load16(w3 + at);
            a3 = Avx512F.FusedMultiplyAdd(w, u, a3); b3 = Avx512F.FusedMultiplyAdd(w, v, b3);
            w = TDecoder.Load16(w4 + at);
            a4 = Avx512F.FusedMultiplyAdd(w, u, a4); b4 = Avx512F.FusedMultiplyAdd(w, v, b4);
            w = TDecoder.Load16(w5 + at);
            a5 = Avx512F.FusedMultiplyAdd(w, u, a5); b5 = Avx512F.FusedMultiplyAdd(w, v, b5);
            w = TDecoder.Load16(w6 + at);
            a6 = Avx512F.FusedMultiplyAdd(w, u, a6); b6 = Avx512F.FusedMultiplyAdd(w, v, b6);
            w = TDecoder.Load16(w7 + at);
            a7 = Avx512F.FusedMultiplyAdd(w, u, a7); b7 = Avx512F.FusedMultiplyAdd(w, v, b7);
        }

        Store<TDecoder>(y, a0, a1, a2, a3);
        Store<TDecoder>(y + 4, a4, a5, a6, a7);
        if (n > 1)
        {
            Store<TDecoder>(y + yStride, b0, b1, b2, b3);
            Store<TDecoder>(y + yStride + 4, b4, b5, b6, b7);
        }

        AddTail<TDecoder>(weights, columns, 8, x, n, y, yStride, 0);
    }

    /// <summary>y[t, rowOffset + r] += the columns past the last whole vector, for r &lt; rows, t &lt; n.</summary>
    private static void AddTail<TDecoder>(byte* weights, int columns, int rows, float* x, int n, float* y, int yStride, int rowOffset)
        where TDecoder : IWeightDecoder
    {
        int vectorEnd = columns & ~15;
        for (int t = 0; t < n && vectorEnd < columns; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* row = weights + ((long)r * columns * TDecoder.BytesPerWeight);
                float sum = 0;
                for (int j = vectorEnd; j < columns; j++)
                {
                    sum += TDecoder.Load1(row + ((long)j * TDecoder.BytesPerWeight)) * x[((long)t * columns) + j];
                }

                y[(t * yStride) + rowOffset + r] += sum * TDecoder.OutputScale;
            }
        }
    }

    [ThreadStatic]
    private static float[]? t_zeroRow;

    /// <summary>A row of zeros at least <paramref name="columns"/> long, pinned for the thread's lifetime (never written).</summary>
    internal static float* ZeroRow(int columns)
    {
        var before = t_zeroRow;
        var row = AlignedScratch.Get(ref t_zeroRow, columns);
        if (!ReferenceEquals(before, t_zeroRow))
        {
            row.Clear(); // a new buffer: its contents are undefined until then
        }

        return (float*)Unsafe.AsPointer(ref row[0]); // pinned, and kept alive by t_zeroRow
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TDecoder>(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
        where TDecoder : IWeightDecoder
    {
        (HorizontalSums.Four(a0, a1, a2, a3) * TDecoder.OutputScale).Store(y);
    }
}
