using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// One token through a slice of weight rows (batch-1 decode), with the slice read as two sequential streams: its
/// first and second halves, one row of each at a time, every row front to back. Batch-1 decode is bound by how fast
/// a core pulls weights from memory, and the hardware prefetcher serves a few long sequential streams best. On the
/// development machine (2-core AMD EPYC VM, both cores reading 384 KB tasks of 2 KB rows, median of 7) walking 8
/// adjacent rows column by column (8 streams of 2 KB each, as the 4- and 8-row panel kernels do) drew 45-47 GB/s, one
/// sequential stream per core 58-61, two per core 64-65; three or four per core fell back to 46-50. Two independent
/// rows per step also give the core two dependency chains, and x (L1-resident) is read once for both.
/// Every stream also asks for the line 4 KB ahead of where it reads, non-temporally
/// (<see cref="WeightPrefetch.StreamAhead"/>): the hardware prefetcher alone left the streams below the machine's read
/// bandwidth in most of the host's memory phases.
/// Rows of <see cref="WeightPrefetch.WideRowColumns"/> or more (DeepSeek-V3's 7168-column projections), FP8 or BF16, ask
/// 16 KB ahead into L2 instead where <see cref="WeightPrefetch.WideRowsIntoL2"/> says so (Zen 4), since x no longer stays
/// in L1 beside the stream.
/// Needs AVX-512; <see cref="LinearRows"/> chooses it.
/// </summary>
internal static unsafe class TwoStreamGemv
{
    /// <summary>
    /// y[r] = W[r] · x for the <paramref name="rows"/> BF16 rows starting at <paramref name="weights"/>; x in the pair
    /// layout of <see cref="Bf16PairKernel.Deinterleave"/>.
    /// </summary>
    public static void Bf16(byte* weights, int rows, int columns, float* xPaired, float* y)
    {
        if (WeightPrefetch.StreamIntoL2(columns))
        {
            Bf16Rows<IntoL2AheadBlock>(weights, rows, columns, xPaired, y);
        }
        else
        {
            Bf16Rows<StreamAheadBlock>(weights, rows, columns, xPaired, y);
        }
    }

    /// <summary>
    /// <see cref="Bf16"/> with each stream asking ahead as <typeparamref name="TPrefetch"/> does: rows of
    /// <see cref="WeightPrefetch.WideRowColumns"/> or more 16 KB ahead into L2 where <see cref="WeightPrefetch.WideRowsIntoL2"/>
    /// says so, as FP8's. Their x (7168 columns: 28 KB in pairs, most of a Zen 4 core's 32 KB L1) no longer stays in L1
    /// beside the streams. Zen 4, 2026-12-07, weights from memory on huge pages (`bench kernels --copies 1 --huge-pages`),
    /// this and the previous build alternating in both orders: both threads, 8 rounds, medians, 7168 × 7168 30.5 → 34.4
    /// GB/s, 16384 × 4096 32.2 → 36.8, 8192 × 8192 32.0 → 32.3; one thread, 6 rounds, 8192 × 8192 16.0-17.9 → 18.2-20.3,
    /// 7168 × 7168 16.5-17.9 → 18.1-19.2 (in earlier rounds, the request switched by an environment variable in one
    /// build, one thread read 12.4-14.2 GB/s without it and 16.5-30.4 with it). Rows of 1024-2816 columns gained nothing
    /// (both threads, 4 rounds), so they keep the hardware prefetcher alone.
    /// </summary>
    private static void Bf16Rows<TPrefetch>(byte* weights, int rows, int columns, float* xPaired, float* y)
        where TPrefetch : struct, IBlockPrefetch
    {
        long rowBytes = 2L * columns;
        int half = (rows + 1) / 2, r = 0;
        for (; r + 1 < rows / 2; r += 2)
        {
            Bf16TwoPairs<TPrefetch>(weights + (r * rowBytes), weights + ((half + r) * rowBytes), rowBytes, columns, xPaired, y + r,
                y + half + r);
        }

        for (; r < half; r++)
        {
            // An odd row count leaves the first half's last row without a partner: it runs as its own pair (the
            // second read of it hits L1).
            int partner = half + r < rows ? half + r : r;
            Bf16OnePair<TPrefetch>(weights + (r * rowBytes), weights + (partner * rowBytes), columns, xPaired, y + r, y + partner);
        }
    }

    /// <summary>
    /// Rows a, a + 1 of the stream at <paramref name="rowA"/> and b, b + 1 of the stream at <paramref name="rowB"/> (each
    /// stream's rows <paramref name="rowBytes"/> apart) into yA[0..1] and yB[0..1]: two pairs, then their four sums folded
    /// together (HorizontalSums), since an expert's 384-column rows spend a tenth of their time summing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bf16TwoPairs<TPrefetch>(byte* rowA, byte* rowB, long rowBytes, int columns, float* xPaired, float* yA, float* yB)
        where TPrefetch : struct, IBlockPrefetch
    {
        Bf16Pair<TPrefetch>(rowA, rowB, columns, xPaired, out var a0, out var b0, out float ta0, out float tb0);
        Bf16Pair<TPrefetch>(rowA + rowBytes, rowB + rowBytes, columns, xPaired, out var a1, out var b1, out float ta1, out float tb1);
        var sums = HorizontalSums.Four(a0, a1, b0, b1);
        yA[0] = sums[0] + ta0;
        yA[1] = sums[1] + ta1;
        yB[0] = sums[2] + tb0;
        yB[1] = sums[3] + tb1;
    }

    /// <summary>One row of each stream into yA[0] and yB[0] (a stream's last, odd row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bf16OnePair<TPrefetch>(byte* rowA, byte* rowB, int columns, float* xPaired, float* yA, float* yB)
        where TPrefetch : struct, IBlockPrefetch
    {
        Bf16Pair<TPrefetch>(rowA, rowB, columns, xPaired, out var a, out var b, out float ta, out float tb);
        yA[0] = Vector512.Sum(a) + ta;
        yB[0] = Vector512.Sum(b) + tb;
    }

    /// <summary>
    /// y[r] = decode(W[firstRow + r]) · x for <paramref name="rows"/> FP8 rows, each 128-column block's partial sum
    /// multiplied by its block scale as it completes (so no scaled copy of x per row block); x already multiplied by
    /// <see cref="Fp8Decoder.InputScale"/>, and <paramref name="arranged"/> (<see cref="Fp8WideDecoder.Arrange"/>) where
    /// <see cref="CanTakeArranged"/> allows, which the faster kernels need.
    /// </summary>
    public static void Fp8(in WeightMatrix weight, int firstRow, int rows, float* xScaled, float* y, bool arranged)
    {
        int half = (rows + 1) / 2, r = 0;
        bool wholeBlocks = weight.Columns % weight.BlockColumns == 0 && weight.BlockColumns % 32 == 0;
        if (arranged)
        {
            if (!CanTakeArranged(weight))
            {
                throw new ArgumentException("These rows cannot be read with an arranged x.", nameof(arranged));
            }

            if (WeightPrefetch.StreamIntoL2(weight.Columns))
            {
                Fp8Arranged<IntoL2AheadBlock>(weight, firstRow, rows, xScaled, y);
            }
            else
            {
                Fp8Arranged<StreamAheadBlock>(weight, firstRow, rows, xScaled, y);
            }

            return;
        }

        if (wholeBlocks && weight.Columns <= QuadMaxColumns)
        {
            for (; r + 1 < rows / 2; r += 2)
            {
                Fp8Quad(weight, firstRow + r, firstRow + half + r, xScaled, out var a0, out var a1, out var b0, out var b1);
                StoreFour(HorizontalSums.Four(a0, a1, b0, b1), y + r, y + half + r);
            }
        }
        else if (wholeBlocks)
        {
            for (; r + 1 < rows / 2; r += 2)
            {
                Fp8PairBlocks(weight, firstRow + r, firstRow + half + r, xScaled, out var a0, out var b0);
                Fp8PairBlocks(weight, firstRow + r + 1, firstRow + half + r + 1, xScaled, out var a1, out var b1);
                StoreFour(HorizontalSums.Four(a0, a1, b0, b1), y + r, y + half + r);
            }
        }

        for (; r + 1 < rows / 2; r += 2)
        {
            Fp8Pair(weight, firstRow + r, firstRow + half + r, xScaled, out var a0, out var b0, out float ta0, out float tb0);
            Fp8Pair(weight, firstRow + r + 1, firstRow + half + r + 1, xScaled, out var a1, out var b1, out float ta1, out float tb1);
            var sums = HorizontalSums.Four(a0, a1, b0, b1);
            y[r] = (sums[0] + ta0) * Fp8Decoder.OutputScale;
            y[r + 1] = (sums[1] + ta1) * Fp8Decoder.OutputScale;
            y[half + r] = (sums[2] + tb0) * Fp8Decoder.OutputScale;
            y[half + r + 1] = (sums[3] + tb1) * Fp8Decoder.OutputScale;
        }

        for (; r < half; r++)
        {
            int partner = half + r < rows ? half + r : r;
            Fp8Pair(weight, firstRow + r, firstRow + partner, xScaled, out var a, out var b, out float ta, out float tb);
            y[r] = (Vector512.Sum(a) + ta) * Fp8Decoder.OutputScale;
            y[partner] = (Vector512.Sum(b) + tb) * Fp8Decoder.OutputScale;
        }
    }

    /// <summary>
    /// <see cref="Fp8"/> with x arranged (<see cref="Fp8WideDecoder"/>), each stream asking ahead as
    /// <typeparamref name="TPrefetch"/> does (<see cref="WeightPrefetch.WideRowsIntoL2"/> decides for wide rows).
    /// </summary>
    internal static void Fp8Arranged<TPrefetch>(in WeightMatrix weight, int firstRow, int rows, float* xArranged, float* y)
        where TPrefetch : struct, IBlockPrefetch
    {
        int half = (rows + 1) / 2, r = 0;
        for (; r + 1 < rows / 2; r += 2)
        {
            if (weight.Columns <= QuadMaxColumns)
            {
                Fp8WideQuad<TPrefetch>(weight, firstRow + r, firstRow + half + r, xArranged, out var a0, out var a1, out var b0, out var b1);
                StoreFour(HorizontalSums.Four(a0, a1, b0, b1), y + r, y + half + r);
            }
            else
            {
                Fp8WideTwoPairs<TPrefetch>(weight, firstRow + r, weight, firstRow + half + r, xArranged, y + r, y + half + r);
            }
        }

        for (; r < half; r++)
        {
            int partner = half + r < rows ? half + r : r;
            Fp8WideOnePair<TPrefetch>(weight, firstRow + r, weight, firstRow + partner, xArranged, y + r, y + partner);
        }
    }

    /// <summary>
    /// gate[r] = W_gate[firstRow + r] · x and up[r] = W_up[firstRow + r] · x for <paramref name="rows"/> rows of two BF16
    /// matrices of one shape (an MLP's gate and up projections), x in the pair layout of
    /// <see cref="Bf16PairKernel.Deinterleave"/>. The two streams are the two matrices' rows, so each runs the task's whole
    /// length in one matrix, twice as long as <see cref="Bf16"/>'s two halves of one.
    /// </summary>
    public static void Bf16GateUp(byte* gateRows, byte* upRows, int rows, int columns, float* xPaired, float* gate, float* up)
    {
        if (WeightPrefetch.StreamIntoL2(columns))
        {
            Bf16GateUpRows<IntoL2AheadBlock>(gateRows, upRows, rows, columns, xPaired, gate, up);
        }
        else
        {
            Bf16GateUpRows<StreamAheadBlock>(gateRows, upRows, rows, columns, xPaired, gate, up);
        }
    }

    private static void Bf16GateUpRows<TPrefetch>(byte* gateRows, byte* upRows, int rows, int columns, float* xPaired, float* gate, float* up)
        where TPrefetch : struct, IBlockPrefetch
    {
        long rowBytes = 2L * columns;
        int r = 0;
        for (; r + 1 < rows; r += 2)
        {
            Bf16TwoPairs<TPrefetch>(gateRows + (r * rowBytes), upRows + (r * rowBytes), rowBytes, columns, xPaired, gate + r, up + r);
        }

        if (r < rows)
        {
            Bf16OnePair<TPrefetch>(gateRows + (r * rowBytes), upRows + (r * rowBytes), columns, xPaired, gate + r, up + r);
        }
    }

    /// <summary>
    /// <see cref="Bf16GateUp"/> for two FP8 matrices of one shape that <see cref="CanTakeArranged"/>, x arranged
    /// (<see cref="Fp8WideDecoder.Arrange"/>, multiplied by <see cref="Fp8Decoder.InputScale"/>).
    /// </summary>
    public static void Fp8GateUp(in WeightMatrix gateWeight, in WeightMatrix upWeight, int firstRow, int rows, float* xArranged, float* gate,
        float* up)
    {
        if (!CanTakeArranged(gateWeight) || !CanTakeArranged(upWeight))
        {
            throw new ArgumentException("These rows cannot be read with an arranged x.", nameof(gateWeight));
        }

        if (WeightPrefetch.StreamIntoL2(gateWeight.Columns))
        {
            Fp8GateUpArranged<IntoL2AheadBlock>(gateWeight, upWeight, firstRow, rows, xArranged, gate, up);
        }
        else
        {
            Fp8GateUpArranged<StreamAheadBlock>(gateWeight, upWeight, firstRow, rows, xArranged, gate, up);
        }
    }

    private static void Fp8GateUpArranged<TPrefetch>(in WeightMatrix gateWeight, in WeightMatrix upWeight, int firstRow, int rows,
        float* xArranged, float* gate, float* up)
        where TPrefetch : struct, IBlockPrefetch
    {
        int r = 0;
        for (; r + 1 < rows; r += 2)
        {
            Fp8WideTwoPairs<TPrefetch>(gateWeight, firstRow + r, upWeight, firstRow + r, xArranged, gate + r, up + r);
        }

        if (r < rows)
        {
            Fp8WideOnePair<TPrefetch>(gateWeight, firstRow + r, upWeight, firstRow + r, xArranged, gate + r, up + r);
        }
    }

    /// <summary>
    /// Rows rowA, rowA + 1 of <paramref name="a"/> and rowB, rowB + 1 of <paramref name="b"/> (FP8, same columns, x
    /// arranged) into yA[0..1] and yB[0..1], their four sums folded together.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fp8WideTwoPairs<TPrefetch>(in WeightMatrix a, int rowA, in WeightMatrix b, int rowB, float* xArranged, float* yA,
        float* yB)
        where TPrefetch : struct, IBlockPrefetch
    {
        Fp8WidePair<TPrefetch>(RowOf(a, rowA), a.ScaleRow(rowA), RowOf(b, rowB), b.ScaleRow(rowB), a.Columns, xArranged, out var a0, out var b0);
        Fp8WidePair<TPrefetch>(RowOf(a, rowA + 1), a.ScaleRow(rowA + 1), RowOf(b, rowB + 1), b.ScaleRow(rowB + 1), a.Columns, xArranged,
            out var a1, out var b1);
        StoreFour(HorizontalSums.Four(a0, a1, b0, b1), yA, yB);
    }

    /// <summary>Row rowA of <paramref name="a"/> and row rowB of <paramref name="b"/> into yA[0] and yB[0].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fp8WideOnePair<TPrefetch>(in WeightMatrix a, int rowA, in WeightMatrix b, int rowB, float* xArranged, float* yA,
        float* yB)
        where TPrefetch : struct, IBlockPrefetch
    {
        Fp8WidePair<TPrefetch>(RowOf(a, rowA), a.ScaleRow(rowA), RowOf(b, rowB), b.ScaleRow(rowB), a.Columns, xArranged, out var sumA,
            out var sumB);
        yA[0] = Vector512.Sum(sumA) * Fp8Decoder.OutputScale;
        yB[0] = Vector512.Sum(sumB) * Fp8Decoder.OutputScale;
    }

    private static byte* RowOf(in WeightMatrix weight, int row) => weight.Data + ((long)row * weight.Columns);

    /// <summary>
    /// Whether <see cref="Fp8"/> can read x in <see cref="Fp8WideDecoder"/>'s order (<see cref="Fp8WideDecoder.Arrange"/>):
    /// rows of whole 128-column scale blocks, on a machine with GFNI.
    /// </summary>
    public static bool CanTakeArranged(in WeightMatrix weight) =>
        Fp8WideDecoder.IsSupported && weight.BlockColumns == WideBlock && weight.Columns % WideBlock == 0;

    /// <summary>
    /// The widest rows <see cref="Fp8Quad"/> takes. Reading two adjacent rows side by side stays one sequential stream
    /// while both fit in a few cache lines; from 512 columns on it halved the speed from memory on the development
    /// machine (one thread, 200 cold copies: 1024 × 512 16.8 → 32.8 µs, 384 × 1024 11.6 → 25.0), while 256- and
    /// 384-column rows gained 5-16 % (1024 × 256 10.0 → 8.4 µs, 1024 × 384 13.3 → 12.5).
    /// </summary>
    private const int QuadMaxColumns = 384;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFour(Vector128<float> sums, float* yA, float* yB)
    {
        yA[0] = sums[0] * Fp8Decoder.OutputScale;
        yA[1] = sums[1] * Fp8Decoder.OutputScale;
        yB[0] = sums[2] * Fp8Decoder.OutputScale;
        yB[1] = sums[3] * Fp8Decoder.OutputScale;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bf16Pair<TPrefetch>(byte* rowA, byte* rowB, int columns, float* x, out Vector512<float> sumA, out Vector512<float> sumB,
        out float tailA, out float tailB)
        where TPrefetch : struct, IBlockPrefetch
    {
        // 32 stored values are 16 uint lanes: shifted left they are the even columns, masked the odd ones (see
        // Bf16PairKernel). Four accumulators per row keep the FMA chains short.
        uint* wa = (uint*)rowA, wb = (uint*)rowB;
        var high = Vector512.Create(0xFFFF0000u);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int chunkEnd = columns & ~31;
        int i = 0;
        for (; i + 64 <= chunkEnd; i += 64)
        {
            TPrefetch.Ahead(rowA + (2 * i));
            TPrefetch.Ahead(rowB + (2 * i));
            Step32(wa, wb, x, i, high, ref a0, ref a1, ref b0, ref b1);
            Step32(wa, wb, x, i + 32, high, ref a2, ref a3, ref b2, ref b3);
        }

        if (i < chunkEnd)
        {
            Step32(wa, wb, x, i, high, ref a0, ref a1, ref b0, ref b1);
        }

        // Columns past the last whole 32 are stored in order, in x too (Deinterleave copies them as they are).
        tailA = 0;
        tailB = 0;
        for (int j = chunkEnd; j < columns; j++)
        {
            tailA += BFloat16.ToSingle(((ushort*)rowA)[j]) * x[j];
            tailB += BFloat16.ToSingle(((ushort*)rowB)[j]) * x[j];
        }

        sumA = (a0 + a1) + (a2 + a3);
        sumB = (b0 + b1) + (b2 + b3);
    }

    /// <summary>32 columns of both rows: even columns into a/b even, odd into a/b odd.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step32(uint* wa, uint* wb, float* x, int i, Vector512<uint> high, ref Vector512<float> aEven,
        ref Vector512<float> aOdd, ref Vector512<float> bEven, ref Vector512<float> bOdd)
    {
        int lane = i >> 1;
        var xe = Vector512.Load(x + i);
        var xo = Vector512.Load(x + i + 16);
        var va = Vector512.Load(wa + lane);
        var vb = Vector512.Load(wb + lane);
        aEven = Avx512F.FusedMultiplyAdd((va << 16).AsSingle(), xe, aEven);
        aOdd = Avx512F.FusedMultiplyAdd((va & high).AsSingle(), xo, aOdd);
        bEven = Avx512F.FusedMultiplyAdd((vb << 16).AsSingle(), xe, bEven);
        bOdd = Avx512F.FusedMultiplyAdd((vb & high).AsSingle(), xo, bOdd);
    }

    /// <summary>
    /// <see cref="Fp8Pair"/> for rows of whole scale blocks that are whole multiples of 32 columns: without the partial-block
    /// and odd-column code the loop runs 8-10 % faster (one thread, 200 cold copies of 1024 × 512: 18.5 → 16.8 µs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fp8PairBlocks(in WeightMatrix weight, int rowIndexA, int rowIndexB, float* x, out Vector512<float> totalA,
        out Vector512<float> totalB)
    {
        int columns = weight.Columns, blockColumns = weight.BlockColumns;
        byte* rowA = weight.Data + ((long)rowIndexA * columns), rowB = weight.Data + ((long)rowIndexB * columns);
        float* scalesA = weight.ScaleRow(rowIndexA);
        float* scalesB = weight.ScaleRow(rowIndexB);
        Vector512<float> sumA = default, sumB = default;
        for (int start = 0, block = 0; start < columns; start += blockColumns, block++)
        {
            WeightPrefetch.StreamAhead(rowA + start, blockColumns);
            WeightPrefetch.StreamAhead(rowB + start, blockColumns);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            for (int i = start; i < start + blockColumns; i += 32)
            {
                var x0 = Vector512.Load(x + i);
                var x1 = Vector512.Load(x + i + 16);
                a0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i), x0, a0);
                a1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i + 16), x1, a1);
                b0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i), x0, b0);
                b1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i + 16), x1, b1);
            }

            sumA = Avx512F.FusedMultiplyAdd(a0 + a1, Vector512.Create(scalesA[block]), sumA);
            sumB = Avx512F.FusedMultiplyAdd(b0 + b1, Vector512.Create(scalesB[block]), sumB);
        }

        totalA = sumA;
        totalB = sumB;
    }

    /// <summary>
    /// Rows a, a + 1, b and b + 1 (two adjacent rows of each stream) in one pass over x, for short rows of whole scale
    /// blocks (<see cref="QuadMaxColumns"/>): each x vector loaded serves four rows, and a block's eight sums are
    /// independent chains two FMAs long. An expert's 1024 × 384 down projection, one thread: 13.1 µs in L2 and 15.3 µs
    /// from memory with <see cref="Fp8Pair"/>, 9.5 and 12.2 µs this way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fp8Quad(in WeightMatrix weight, int rowIndexA, int rowIndexB, float* x, out Vector512<float> totalA0,
        out Vector512<float> totalA1, out Vector512<float> totalB0, out Vector512<float> totalB1)
    {
        int columns = weight.Columns, blockColumns = weight.BlockColumns;
        byte* rowA = weight.Data + ((long)rowIndexA * columns), rowB = weight.Data + ((long)rowIndexB * columns);
        // The second row of a stream can open the next row of scale blocks.
        float* scalesA0 = weight.ScaleRow(rowIndexA);
        float* scalesA1 = weight.ScaleRow(rowIndexA + 1);
        float* scalesB0 = weight.ScaleRow(rowIndexB);
        float* scalesB1 = weight.ScaleRow(rowIndexB + 1);
        Vector512<float> sumA0 = default, sumA1 = default, sumB0 = default, sumB1 = default;
        for (int start = 0, block = 0; start < columns; start += blockColumns, block++)
        {
            WeightPrefetch.StreamAhead(rowA + start, blockColumns);
            WeightPrefetch.StreamAhead(rowA + columns + start, blockColumns);
            WeightPrefetch.StreamAhead(rowB + start, blockColumns);
            WeightPrefetch.StreamAhead(rowB + columns + start, blockColumns);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            Vector512<float> c0 = default, c1 = default, d0 = default, d1 = default;
            for (int i = start; i < start + blockColumns; i += 32)
            {
                var x0 = Vector512.Load(x + i);
                var x1 = Vector512.Load(x + i + 16);
                a0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i), x0, a0);
                c0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i + 16), x1, c0);
                a1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + columns + i), x0, a1);
                c1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + columns + i + 16), x1, c1);
                b0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i), x0, b0);
                d0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i + 16), x1, d0);
                b1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + columns + i), x0, b1);
                d1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + columns + i + 16), x1, d1);
            }

            sumA0 = Avx512F.FusedMultiplyAdd(a0 + c0, Vector512.Create(scalesA0[block]), sumA0);
            sumA1 = Avx512F.FusedMultiplyAdd(a1 + c1, Vector512.Create(scalesA1[block]), sumA1);
            sumB0 = Avx512F.FusedMultiplyAdd(b0 + d0, Vector512.Create(scalesB0[block]), sumB0);
            sumB1 = Avx512F.FusedMultiplyAdd(b1 + d1, Vector512.Create(scalesB1[block]), sumB1);
        }

        totalA0 = sumA0;
        totalA1 = sumA1;
        totalB0 = sumB0;
        totalB1 = sumB1;
    }

    /// <summary><see cref="Fp8PairBlocks"/> with <see cref="Fp8WideDecoder"/>: x arranged, one 128-column block a step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fp8WidePair<TPrefetch>(byte* rowA, float* scalesA, byte* rowB, float* scalesB, int columns, float* x,
        out Vector512<float> totalA, out Vector512<float> totalB)
        where TPrefetch : struct, IBlockPrefetch
    {
        Vector512<float> sumA = default, sumB = default;
        var constants = Fp8WideDecoder.Constants.Create();
        for (int start = 0, block = 0; start < columns; start += WideBlock, block++)
        {
            TPrefetch.Ahead(rowA + start);
            TPrefetch.Ahead(rowB + start);
            sumA = Avx512F.FusedMultiplyAdd(WideBlockDot(rowA + start, x + start, constants), Vector512.Create(scalesA[block]), sumA);
            sumB = Avx512F.FusedMultiplyAdd(WideBlockDot(rowB + start, x + start, constants), Vector512.Create(scalesB[block]), sumB);
        }

        totalA = sumA;
        totalB = sumB;
    }

    /// <summary><see cref="Fp8Quad"/> with <see cref="Fp8WideDecoder"/>: x arranged, one 128-column block a step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fp8WideQuad<TPrefetch>(in WeightMatrix weight, int rowIndexA, int rowIndexB, float* x, out Vector512<float> totalA0,
        out Vector512<float> totalA1, out Vector512<float> totalB0, out Vector512<float> totalB1)
        where TPrefetch : struct, IBlockPrefetch
    {
        int columns = weight.Columns;
        byte* rowA = weight.Data + ((long)rowIndexA * columns), rowB = weight.Data + ((long)rowIndexB * columns);
        float* scalesA0 = weight.ScaleRow(rowIndexA);
        float* scalesA1 = weight.ScaleRow(rowIndexA + 1);
        float* scalesB0 = weight.ScaleRow(rowIndexB);
        float* scalesB1 = weight.ScaleRow(rowIndexB + 1);
        Vector512<float> sumA0 = default, sumA1 = default, sumB0 = default, sumB1 = default;
        var constants = Fp8WideDecoder.Constants.Create();
        for (int start = 0, block = 0; start < columns; start += WideBlock, block++)
        {
            TPrefetch.Ahead(rowA + start);
            TPrefetch.Ahead(rowA + columns + start);
            TPrefetch.Ahead(rowB + start);
            TPrefetch.Ahead(rowB + columns + start);
            sumA0 = Avx512F.FusedMultiplyAdd(WideBlockDot(rowA + start, x + start, constants), Vector512.Create(scalesA0[block]), sumA0);
            sumA1 = Avx512F.FusedMultiplyAdd(WideBlockDot(rowA + columns + start, x + start, constants), Vector512.Create(scalesA1[block]), sumA1);
            sumB0 = Avx512F.FusedMultiplyAdd(WideBlockDot(rowB + start, x + start, constants), Vector512.Create(scalesB0[block]), sumB0);
            sumB1 = Avx512F.FusedMultiplyAdd(WideBlockDot(rowB + columns + start, x + start, constants), Vector512.Create(scalesB1[block]), sumB1);
        }

        totalA0 = sumA0;
        totalA1 = sumA1;
        totalB0 = sumB0;
        totalB1 = sumB1;
    }

    /// <summary>
    /// The scale blocks the wide kernels take: DeepSeek-V3's 128 columns, written out as two 64-code steps with no loop
    /// and no zeroed accumulators (a loop per block cost a tenth of a 1024-column row).
    /// </summary>
    private const int WideBlock = 128;

    /// <summary>
    /// The 16 partial sums of decode(codes[0..128)) · x[0..128), x arranged. The first products are FMAs onto zero, not
    /// multiplies: codes with a zero exponent decode to subnormal floats, and on the development machine (AMD EPYC,
    /// Zen 5) a multiply with a subnormal operand takes a slow path where an FMA does not (one thread, 512 × 1024 in
    /// L2: 31 µs with multiplies, 12 µs this way). One chain of eight FMAs: the core is bound by how many vector
    /// operations it issues, and each addition saved per block outweighs the longer chain, which the caller's second row
    /// and the next block (its sums start afresh) overlap. Four chains of two → two of four (28 → 26 operations; Zen 4,
    /// one thread, two rows in L1): 17.5 → 16.7 cycles a block at 2048 columns, 17.1 → 16.0 at 7168. Two of four → one
    /// of eight (26 → 25, session 18): a throwaway loop, one thread, 512 × 1024 in L2, 7 windows, 26.2-27.8 → 27.9-28.9
    /// GB/s (from memory 8.7-9.1 → 9.0-9.2); `bench kernels --copies 1 --threads 1`, 12 rounds in both orders,
    /// medians: 512 × 1024 19.2 → 18.9 µs, 2048 × 7168 525.7 → 517.1; batch-1 FP8 decode, steps alternating, 10 runs,
    /// mean 1.007× (the unchanged BF16 beside it 1.002×). Chaining on through the whole row as well (x scaled per row
    /// block instead of each block's sum) was slower from memory: see session 18 in the README.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> WideBlockDot(byte* codes, float* x, in Fp8WideDecoder.Constants constants)
    {
        Fp8WideDecoder.Load64(codes, constants, out var w0, out var w1, out var w2, out var w3);
        var s = Avx512F.FusedMultiplyAdd(w0, Vector512.Load(x), Vector512<float>.Zero);
        s = Avx512F.FusedMultiplyAdd(w1, Vector512.Load(x + 16), s);
        s = Avx512F.FusedMultiplyAdd(w2, Vector512.Load(x + 32), s);
        s = Avx512F.FusedMultiplyAdd(w3, Vector512.Load(x + 48), s);
        Fp8WideDecoder.Load64(codes + 64, constants, out w0, out w1, out w2, out w3);
        s = Avx512F.FusedMultiplyAdd(w0, Vector512.Load(x + 64), s);
        s = Avx512F.FusedMultiplyAdd(w1, Vector512.Load(x + 80), s);
        s = Avx512F.FusedMultiplyAdd(w2, Vector512.Load(x + 96), s);
        return Avx512F.FusedMultiplyAdd(w3, Vector512.Load(x + 112), s);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fp8Pair(in WeightMatrix weight, int rowIndexA, int rowIndexB, float* x, out Vector512<float> totalA,
        out Vector512<float> totalB, out float tailA, out float tailB)
    {
        int columns = weight.Columns, blockColumns = weight.BlockColumns;
        byte* rowA = weight.Data + ((long)rowIndexA * columns), rowB = weight.Data + ((long)rowIndexB * columns);
        float* scalesA = weight.ScaleRow(rowIndexA);
        float* scalesB = weight.ScaleRow(rowIndexB);
        Vector512<float> sumA = default, sumB = default;
        float restA = 0, restB = 0;
        for (int start = 0, block = 0; start < columns; start += blockColumns, block++)
        {
            int end = Math.Min(columns, start + blockColumns);
            int vectorEnd = start + ((end - start) & ~15);
            WeightPrefetch.StreamAhead(rowA + start, end - start);
            WeightPrefetch.StreamAhead(rowB + start, end - start);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            int i = start;
            for (; i + 32 <= vectorEnd; i += 32)
            {
                var x0 = Vector512.Load(x + i);
                var x1 = Vector512.Load(x + i + 16);
                a0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i), x0, a0);
                a1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i + 16), x1, a1);
                b0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i), x0, b0);
                b1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i + 16), x1, b1);
            }

            if (i < vectorEnd)
            {
                var x0 = Vector512.Load(x + i);
                a0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowA + i), x0, a0);
                b0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(rowB + i), x0, b0);
            }

            float partialA = 0, partialB = 0;
            for (int j = vectorEnd; j < end; j++)
            {
                partialA += Fp8Decoder.Load1(rowA + j) * x[j];
                partialB += Fp8Decoder.Load1(rowB + j) * x[j];
            }

            sumA = Avx512F.FusedMultiplyAdd(a0 + a1, Vector512.Create(scalesA[block]), sumA);
            sumB = Avx512F.FusedMultiplyAdd(b0 + b1, Vector512.Create(scalesB[block]), sumB);
            restA += partialA * scalesA[block];
            restB += partialB * scalesB[block];
        }

        totalA = sumA;
        totalB = sumB;
        tailA = restA;
        tailB = restB;
    }
}
