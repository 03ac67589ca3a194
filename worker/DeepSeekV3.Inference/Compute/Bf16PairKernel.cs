using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Decode-sized <c>y = x · Wᵀ</c> for BF16 weights without a single shuffle: 32 stored values are read as 16 32-bit
/// lanes, each holding an even-column value in its low half and an odd-column value in its high half. A left shift
/// by 16 turns the lanes into the even columns as float32, masking off the low half turns them into the odd columns,
/// both exactly. x is laid out to match once per call (<see cref="Deinterleave"/>: per 32 columns, the 16 even then
/// the 16 odd ones), so each FMA pairs the right values. Two cheap in-lane operations per 32 weights instead of the
/// two widening shuffles and two shifts of <see cref="FusedGemvKernel"/>: the loop stays bound by the weight stream.
/// Columns past the last whole 32 are summed one by one (no real model has them; the tiny test model does).
/// </summary>
internal static unsafe class Bf16PairKernel
{
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>target[t] = source[t] with each whole 32-column chunk reordered to [16 even | 16 odd] columns.</summary>
    public static void Deinterleave(float* source, int n, int columns, float* target)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        int chunkEnd = columns & ~31;
        for (int t = 0; t < n; t++)
        {
            float* from = source + ((long)t * columns), to = target + ((long)t * columns);
            for (int i = 0; i < chunkEnd; i += 32)
            {
                var low = Vector512.Load(from + i);
                var high = Vector512.Load(from + i + 16);
                Avx512F.PermuteVar16x32x2(low, even, high).Store(to + i);
                Avx512F.PermuteVar16x32x2(low, odd, high).Store(to + i + 16);
            }

            for (int i = chunkEnd; i < columns; i++)
            {
                to[i] = from[i];
            }
        }
    }

    /// <summary>
    /// y[t, rowOffset + r] = W[r] · x[t] for the 4 rows starting at <paramref name="weights"/>, t &lt; n;
    /// x [n, columns] already <see cref="Deinterleave"/>d.
    /// </summary>
    public static void Panel(byte* weights, int columns, float* x, int n, float* y, int yStride, int rowOffset)
    {
        // Two tokens past the last group of 4 ride with that group as one pass of 6: a pass of 2 is a 4-token pass half
        // of zeros. One thread, BF16 384 × 1024, 33 experts in turn (26 MB), GFLOP/s: 6 tokens 147 → 184-194, 10 tokens
        // 153-156 → 184-186, as 8 tokens (185-188 both times). One leftover token already runs cheaply (PanelOne: 5, 9
        // and 13 tokens ran at 181-184).
        int last = n > 4 && n % 4 == 2 ? 6 : 0;
        if (last > 0)
        {
            float* xs = x + ((long)(n - last) * columns), ys = y + ((long)(n - last) * yStride);
            PanelSix(weights, columns, xs, ys, yStride, rowOffset);
            Tail(weights, columns, xs, last, ys, yStride, rowOffset);
        }

        for (int first = 0; first < n - last; first += 4)
        {
            int count = Math.Min(4, n - first);
            float* xs = x + ((long)first * columns), ys = y + ((long)first * yStride);
            if (count == 1)
            {
                PanelOne(weights, columns, xs, ys + rowOffset);
            }
            else if (count == 2)
            {
                PanelTwoToFour<TwoTokens>(weights, columns, xs, ys, yStride, rowOffset);
            }
            else if (count == 3)
            {
                PanelTwoToFour<ThreeTokens>(weights, columns, xs, ys, yStride, rowOffset);
            }
            else
            {
                PanelTwoToFour<FourTokens>(weights, columns, xs, ys, yStride, rowOffset);
            }

            Tail(weights, columns, xs, count, ys, yStride, rowOffset);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelOne(byte* weights, int columns, float* x, float* y)
    {
        long rowBytes = 2L * columns;
        uint* w0 = (uint*)weights, w1 = (uint*)(weights + rowBytes), w2 = (uint*)(weights + (2 * rowBytes)), w3 = (uint*)(weights + (3 * rowBytes));
        var high = Vector512.Create(0xFFFF0000u);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int chunkEnd = columns & ~31;
        byte* next = weights + (4 * rowBytes);
        bool nextIntoL2 = WeightPrefetch.NextPanelIntoL2(columns, fp8: false);
        for (int i = 0; i < chunkEnd; i += 32)
        {
            int lane = i >> 1; // 32 bf16 values = 16 uint lanes
            WeightPrefetch.NextPanel(next + (4L * 4 * lane), 4 * 64, nextIntoL2); // the next 4-row panel, 256 bytes per step

            var xe = Vector512.Load(x + i);
            var xo = Vector512.Load(x + i + 16);
            var v0 = Vector512.Load(w0 + lane);
            var v1 = Vector512.Load(w1 + lane);
            var v2 = Vector512.Load(w2 + lane);
            var v3 = Vector512.Load(w3 + lane);
            a0 = Avx512F.FusedMultiplyAdd((v0 << 16).AsSingle(), xe, a0);
            b0 = Avx512F.FusedMultiplyAdd((v0 & high).AsSingle(), xo, b0);
            a1 = Avx512F.FusedMultiplyAdd((v1 << 16).AsSingle(), xe, a1);
            b1 = Avx512F.FusedMultiplyAdd((v1 & high).AsSingle(), xo, b1);
            a2 = Avx512F.FusedMultiplyAdd((v2 << 16).AsSingle(), xe, a2);
            b2 = Avx512F.FusedMultiplyAdd((v2 & high).AsSingle(), xo, b2);
            a3 = Avx512F.FusedMultiplyAdd((v3 << 16).AsSingle(), xe, a3);
            b3 = Avx512F.FusedMultiplyAdd((v3 & high).AsSingle(), xo, b3);
        }

        HorizontalSums.Four(a0 + b0, a1 + b1, a2 + b2, a3 + b3).Store(y);
    }

    /// <summary>
    /// Two tokens through 8 rows at once (an expert's usual share of a decode batch): 8 weight streams, 16 accumulators
    /// (even and odd columns of a row add into the same one). y[t, r] for r &lt; 8, t &lt; 2; whole 32-column chunks
    /// only (the caller adds the tail).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EightRowsTwoTokens(byte* weights, int columns, float* x, float* y, int yStride)
    {
        long rowBytes = 2L * columns;
        byte* w = weights;
        float* x0 = x, x1 = x + columns;
        var high = Vector512.Create(0xFFFF0000u);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        int chunkEnd = columns & ~31;
        byte* next = weights + (8 * rowBytes);
        bool nextIntoL2 = WeightPrefetch.NextPanelIntoL2(columns, fp8: false);
        for (int i = 0; i < chunkEnd; i += 32, w += 64)
        {
            WeightPrefetch.NextPanel(next + (8L * (w - weights)), 8 * 64, nextIntoL2);

            var ue = Vector512.Load(x0 + i);
            var uo = Vector512.Load(x0 + i + 16);
            var ve = Vector512.Load(x1 + i);
            var vo = Vector512.Load(x1 + i + 16);
            Pair(Vector512.Load((uint*)w), high, ue, uo, ve, vo, ref a0, ref b0);
            Pair(Vector512.Load((uint*)(w + rowBytes)), high, ue, uo, ve, vo, ref a1, ref b1);
            Pair(Vector512.Load((uint*)(w + (2 * rowBytes))), high, ue, uo, ve, vo, ref a2, ref b2);
            Pair(Vector512.Load((uint*)(w + (3 * rowBytes))), high, ue, uo, ve, vo, ref a3, ref b3);
            Pair(Vector512.Load((uint*)(w + (4 * rowBytes))), high, ue, uo, ve, vo, ref a4, ref b4);
            Pair(Vector512.Load((uint*)(w + (5 * rowBytes))), high, ue, uo, ve, vo, ref a5, ref b5);
            Pair(Vector512.Load((uint*)(w + (6 * rowBytes))), high, ue, uo, ve, vo, ref a6, ref b6);
            Pair(Vector512.Load((uint*)(w + (7 * rowBytes))), high, ue, uo, ve, vo, ref a7, ref b7);
        }

        Store(y, a0, a1, a2, a3);
        Store(y + 4, a4, a5, a6, a7);
        Store(y + yStride, b0, b1, b2, b3);
        Store(y + yStride + 4, b4, b5, b6, b7);
    }

    /// <summary>a += row · token 0, b += row · token 1, for 32 columns held as 16 lanes of pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair(Vector512<uint> row, Vector512<uint> high, Vector512<float> ue, Vector512<float> uo,
        Vector512<float> ve, Vector512<float> vo, ref Vector512<float> a, ref Vector512<float> b)
    {
        var even = (row << 16).AsSingle();
        var odd = (row & high).AsSingle();
        a = Avx512F.FusedMultiplyAdd(odd, uo, Avx512F.FusedMultiplyAdd(even, ue, a));
        b = Avx512F.FusedMultiplyAdd(odd, vo, Avx512F.FusedMultiplyAdd(even, ve, b));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelTwoToFour<TTokens>(byte* weights, int columns, float* x, float* y, int yStride, int rowOffset)
        where TTokens : ITokenCount
    {
        // 4 rows × 4 tokens = 16 accumulators, 8 weight vectors and x in the 32 zmm registers; compiled per token count
        // (ITokenCount), so a pass of 2 or 3 multiplies only the tokens it has (one thread, in L2, 3 tokens against the
        // former 4 with a row of zeros, medians of 4 alternating runs: 384 × 1024 29.5 → 21.9 µs, 1024 × 384 30.9 → 22.4).
        long rowBytes = 2L * columns;
        uint* w0 = (uint*)weights, w1 = (uint*)(weights + rowBytes), w2 = (uint*)(weights + (2 * rowBytes)), w3 = (uint*)(weights + (3 * rowBytes));
        float* x0 = x, x1 = x + columns, x2 = TTokens.Count > 2 ? x + (2 * columns) : x, x3 = TTokens.Count > 3 ? x + (3 * columns) : x;
        var high = Vector512.Create(0xFFFF0000u);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int chunkEnd = columns & ~31;
        byte* next = weights + (4 * rowBytes);
        bool nextIntoL2 = WeightPrefetch.NextPanelIntoL2(columns, fp8: false);
        for (int i = 0; i < chunkEnd; i += 32)
        {
            int lane = i >> 1;
            WeightPrefetch.NextPanel(next + (4L * 4 * lane), 4 * 64, nextIntoL2); // the next 4-row panel, 256 bytes per step

            var r0 = Vector512.Load(w0 + lane);
            var r1 = Vector512.Load(w1 + lane);
            var r2 = Vector512.Load(w2 + lane);
            var r3 = Vector512.Load(w3 + lane);
            var e0 = (r0 << 16).AsSingle();
            var e1 = (r1 << 16).AsSingle();
            var e2 = (r2 << 16).AsSingle();
            var e3 = (r3 << 16).AsSingle();
            var xv = Vector512.Load(x0 + i);
            a00 = Avx512F.FusedMultiplyAdd(e0, xv, a00); a01 = Avx512F.FusedMultiplyAdd(e1, xv, a01);
            a02 = Avx512F.FusedMultiplyAdd(e2, xv, a02); a03 = Avx512F.FusedMultiplyAdd(e3, xv, a03);
            xv = Vector512.Load(x1 + i);
            a10 = Avx512F.FusedMultiplyAdd(e0, xv, a10); a11 = Avx512F.FusedMultiplyAdd(e1, xv, a11);
            a12 = Avx512F.FusedMultiplyAdd(e2, xv, a12); a13 = Avx512F.FusedMultiplyAdd(e3, xv, a13);
            if (TTokens.Count > 2)
            {
                xv = Vector512.Load(x2 + i);
                a20 = Avx512F.FusedMultiplyAdd(e0, xv, a20); a21 = Avx512F.FusedMultiplyAdd(e1, xv, a21);
                a22 = Avx512F.FusedMultiplyAdd(e2, xv, a22); a23 = Avx512F.FusedMultiplyAdd(e3, xv, a23);
            }

            if (TTokens.Count > 3)
            {
                xv = Vector512.Load(x3 + i);
                a30 = Avx512F.FusedMultiplyAdd(e0, xv, a30); a31 = Avx512F.FusedMultiplyAdd(e1, xv, a31);
                a32 = Avx512F.FusedMultiplyAdd(e2, xv, a32); a33 = Avx512F.FusedMultiplyAdd(e3, xv, a33);
            }

            e0 = (r0 & high).AsSingle();
            e1 = (r1 & high).AsSingle();
            e2 = (r2 & high).AsSingle();
            e3 = (r3 & high).AsSingle();
            xv = Vector512.Load(x0 + i + 16);
            a00 = Avx512F.FusedMultiplyAdd(e0, xv, a00); a01 = Avx512F.FusedMultiplyAdd(e1, xv, a01);
            a02 = Avx512F.FusedMultiplyAdd(e2, xv, a02); a03 = Avx512F.FusedMultiplyAdd(e3, xv, a03);
            xv = Vector512.Load(x1 + i + 16);
            a10 = Avx512F.FusedMultiplyAdd(e0, xv, a10); a11 = Avx512F.FusedMultiplyAdd(e1, xv, a11);
            a12 = Avx512F.FusedMultiplyAdd(e2, xv, a12); a13 = Avx512F.FusedMultiplyAdd(e3, xv, a13);
            if (TTokens.Count > 2)
            {
                xv = Vector512.Load(x2 + i + 16);
                a20 = Avx512F.FusedMultiplyAdd(e0, xv, a20); a21 = Avx512F.FusedMultiplyAdd(e1, xv, a21);
                a22 = Avx512F.FusedMultiplyAdd(e2, xv, a22); a23 = Avx512F.FusedMultiplyAdd(e3, xv, a23);
            }

            if (TTokens.Count > 3)
            {
                xv = Vector512.Load(x3 + i + 16);
                a30 = Avx512F.FusedMultiplyAdd(e0, xv, a30); a31 = Avx512F.FusedMultiplyAdd(e1, xv, a31);
                a32 = Avx512F.FusedMultiplyAdd(e2, xv, a32); a33 = Avx512F.FusedMultiplyAdd(e3, xv, a33);
            }
        }

        Store(y + rowOffset, a00, a01, a02, a03);
        Store(y + yStride + rowOffset, a10, a11, a12, a13);
        if (TTokens.Count > 2)
        {
            Store(y + (2 * yStride) + rowOffset, a20, a21, a22, a23);
        }

        if (TTokens.Count > 3)
        {
            Store(y + (3 * yStride) + rowOffset, a30, a31, a32, a33);
        }
    }

    /// <summary>
    /// <see cref="PanelTwoToFour{TTokens}"/> for 6 tokens: 4 rows × 6 tokens = 24 accumulators, so the even columns' 4 weight vectors
    /// are made, used and dropped before the odd columns' are made from the same (L1-resident) lanes, read again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelSix(byte* weights, int columns, float* x, float* y, int yStride, int rowOffset)
    {
        long rowBytes = 2L * columns;
        uint* w0 = (uint*)weights, w1 = (uint*)(weights + rowBytes), w2 = (uint*)(weights + (2 * rowBytes)), w3 = (uint*)(weights + (3 * rowBytes));
        float* x0 = x, x1 = x + columns, x2 = x + (2 * columns), x3 = x + (3 * columns), x4 = x + (4 * columns), x5 = x + (5 * columns);
        var high = Vector512.Create(0xFFFF0000u);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
        Vector512<float> a50 = default, a51 = default, a52 = default, a53 = default;
        int chunkEnd = columns & ~31;
        byte* next = weights + (4 * rowBytes);
        bool nextIntoL2 = WeightPrefetch.NextPanelIntoL2(columns, fp8: false);
        for (int i = 0; i < chunkEnd; i += 32)
        {
            int lane = i >> 1;
            WeightPrefetch.NextPanel(next + (4L * 4 * lane), 4 * 64, nextIntoL2); // the next 4-row panel, 256 bytes per step

            // The even columns (low halves shifted up), then the odd ones (high halves masked), each from a fresh load.
            var e0 = (Vector512.Load(w0 + lane) << 16).AsSingle();
            var e1 = (Vector512.Load(w1 + lane) << 16).AsSingle();
            var e2 = (Vector512.Load(w2 + lane) << 16).AsSingle();
            var e3 = (Vector512.Load(w3 + lane) << 16).AsSingle();
            var xv = Vector512.Load(x0 + i);
            a00 = Avx512F.FusedMultiplyAdd(e0, xv, a00); a01 = Avx512F.FusedMultiplyAdd(e1, xv, a01);
            a02 = Avx512F.FusedMultiplyAdd(e2, xv, a02); a03 = Avx512F.FusedMultiplyAdd(e3, xv, a03);
            xv = Vector512.Load(x1 + i);
            a10 = Avx512F.FusedMultiplyAdd(e0, xv, a10); a11 = Avx512F.FusedMultiplyAdd(e1, xv, a11);
            a12 = Avx512F.FusedMultiplyAdd(e2, xv, a12); a13 = Avx512F.FusedMultiplyAdd(e3, xv, a13);
            xv = Vector512.Load(x2 + i);
            a20 = Avx512F.FusedMultiplyAdd(e0, xv, a20); a21 = Avx512F.FusedMultiplyAdd(e1, xv, a21);
            a22 = Avx512F.FusedMultiplyAdd(e2, xv, a22); a23 = Avx512F.FusedMultiplyAdd(e3, xv, a23);
            xv = Vector512.Load(x3 + i);
            a30 = Avx512F.FusedMultiplyAdd(e0, xv, a30); a31 = Avx512F.FusedMultiplyAdd(e1, xv, a31);
            a32 = Avx512F.FusedMultiplyAdd(e2, xv, a32); a33 = Avx512F.FusedMultiplyAdd(e3, xv, a33);
            xv = Vector512.Load(x4 + i);
            a40 = Avx512F.FusedMultiplyAdd(e0, xv, a40); a41 = Avx512F.FusedMultiplyAdd(e1, xv, a41);
            a42 = Avx512F.FusedMultiplyAdd(e2, xv, a42); a43 = Avx512F.FusedMultiplyAdd(e3, xv, a43);
            xv = Vector512.Load(x5 + i);
            a50 = Avx512F.FusedMultiplyAdd(e0, xv, a50); a51 = Avx512F.FusedMultiplyAdd(e1, xv, a51);
            a52 = Avx512F.FusedMultiplyAdd(e2, xv, a52); a53 = Avx512F.FusedMultiplyAdd(e3, xv, a53);
            e0 = (Vector512.Load(w0 + lane) & high).AsSingle();
            e1 = (Vector512.Load(w1 + lane) & high).AsSingle();
            e2 = (Vector512.Load(w2 + lane) & high).AsSingle();
            e3 = (Vector512.Load(w3 + lane) & high).AsSingle();
            xv = Vector512.Load(x0 + i + 16);
            a00 = Avx512F.FusedMultiplyAdd(e0, xv, a00); a01 = Avx512F.FusedMultiplyAdd(e1, xv, a01);
            a02 = Avx512F.FusedMultiplyAdd(e2, xv, a02); a03 = Avx512F.FusedMultiplyAdd(e3, xv, a03);
            xv = Vector512.Load(x1 + i + 16);
            a10 = Avx512F.FusedMultiplyAdd(e0, xv, a10); a11 = Avx512F.FusedMultiplyAdd(e1, xv, a11);
            a12 = Avx512F.FusedMultiplyAdd(e2, xv, a12); a13 = Avx512F.FusedMultiplyAdd(e3, xv, a13);
            xv = Vector512.Load(x2 + i + 16);
            a20 = Avx512F.FusedMultiplyAdd(e0, xv, a20); a21 = Avx512F.FusedMultiplyAdd(e1, xv, a21);
            a22 = Avx512F.FusedMultiplyAdd(e2, xv, a22); a23 = Avx512F.FusedMultiplyAdd(e3, xv, a23);
            xv = Vector512.Load(x3 + i + 16);
            a30 = Avx512F.FusedMultiplyAdd(e0, xv, a30); a31 = Avx512F.FusedMultiplyAdd(e1, xv, a31);
            a32 = Avx512F.FusedMultiplyAdd(e2, xv, a32); a33 = Avx512F.FusedMultiplyAdd(e3, xv, a33);
            xv = Vector512.Load(x4 + i + 16);
            a40 = Avx512F.FusedMultiplyAdd(e0, xv, a40); a41 = Avx512F.FusedMultiplyAdd(e1, xv, a41);
            a42 = Avx512F.FusedMultiplyAdd(e2, xv, a42); a43 = Avx512F.FusedMultiplyAdd(e3, xv, a43);
            xv = Vector512.Load(x5 + i + 16);
            a50 = Avx512F.FusedMultiplyAdd(e0, xv, a50); a51 = Avx512F.FusedMultiplyAdd(e1, xv, a51);
            a52 = Avx512F.FusedMultiplyAdd(e2, xv, a52); a53 = Avx512F.FusedMultiplyAdd(e3, xv, a53);
        }

        Store(y + rowOffset, a00, a01, a02, a03);
        Store(y + yStride + rowOffset, a10, a11, a12, a13);
        Store(y + (2 * yStride) + rowOffset, a20, a21, a22, a23);
        Store(y + (3 * yStride) + rowOffset, a30, a31, a32, a33);
        Store(y + (4 * yStride) + rowOffset, a40, a41, a42, a43);
        Store(y + (5 * yStride) + rowOffset, a50, a51, a52, a53);
    }

    public static void Tail(byte* weights, int columns, float* x, int n, float* y, int yStride, int rowOffset)
    {
        int chunkEnd = columns & ~31;
        if (chunkEnd == columns)
        {
            return;
        }

        for (int t = 0; t < n; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                ushort* row = (ushort*)(weights + (2L * r * columns));
                float sum = 0;
                for (int j = chunkEnd; j < columns; j++)
                {
                    sum += BFloat16.ToSingle(row[j]) * x[((long)t * columns) + j];
                }

                y[(t * yStride) + rowOffset + r] += sum;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        HorizontalSums.Four(a0, a1, a2, a3).Store(y);
    }
}
