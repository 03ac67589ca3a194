using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Output rows [first, end) of y[n, yStride] = x[n, columns] · W[rowStart..)ᵀ, 4-row panels at a time: decode-sized
/// steps (n up to <see cref="FusedGemvKernel.MaxTokens"/>, 24-48) of BF16/FP8 weights read the stored weights once
/// through <see cref="Bf16PairKernel"/> or <see cref="FusedGemvKernel"/>; larger steps (prefill) go through the packed
/// outer-product <see cref="PackedGemmKernel"/>; without AVX-512, each panel is dequantized once into the thread's
/// scratch and applied to all n tokens with <see cref="LinearKernel"/>.
/// Callers cut row ranges on multiples of 4 (relative to rowStart), so panels are never split.
/// </summary>
internal static unsafe class LinearRows
{
    /// <summary>
    /// The row count callers cut slices on for <paramref name="n"/> tokens: the panel height of the kernel that will
    /// run, so no task computes a partly empty panel (slices may end early only at the matrix's last row).
    /// </summary>
    public static int RowGranularity(in WeightMatrix weight, int n) => UsesPacked(weight, n) ? PackedGemmKernel.MinSliceRows : LinearKernel.PanelRows;

    /// <summary>
    /// The row count a grouped dispatch cuts tasks on: <see cref="RowGranularity"/>, except on the fused panel kernels
    /// for 2 or more tokens, where every task first prepares its own copy of x: FP8 tasks scale it by their block rows'
    /// scales, so they are cut on whole scale blocks (an expert's share of a 128-token prefill made 24 tasks, 8 per
    /// block, each scaling x again); BF16 tasks lay it out in pairs (<see cref="Bf16PairKernel.Deinterleave"/>), so they
    /// are cut on <see cref="Bf16SharedInputRows"/>. One token needs neither (<see cref="TwoStreamGemv"/> scales its
    /// partial sums, and its x is one row).
    /// </summary>
    public static int TaskGranularity(in WeightMatrix weight, int n) =>
        n > 1 && UsesFused(weight, n, 0)
            ? weight.Format == WeightFormat.F8E4M3Blocked ? weight.BlockRows : Bf16SharedInputRows
            : RowGranularity(weight, n);

    /// <summary>
    /// BF16 rows per grouped task of 2-24 tokens. Cut on 4-row panels, a 128-token prefill's experts (16 tokens, 1024
    /// columns: 16 rows per task at the pool's work size) made 1000-1240 tasks per MoE layer, each deinterleaving its
    /// 64 KB of x for 16 rows: BF16 prefill-128 ran its MoE at 47 % of FMA peak against FP8's 67 %. 128 rows, as FP8's
    /// scale blocks: BF16 prefill-128 1556 → 1735 tokens/s (medians of 4 alternating runs), decode batch 4 and 16 equal.
    /// </summary>
    private const int Bf16SharedInputRows = 128;

    /// <summary>
    /// The row multiple slices start on, given the least slice height <paramref name="unit"/>: for the packed kernel its
    /// 12-row panel, so a product's slices come out equal instead of whole multiples of 192 rows (a 1024-token prefill's
    /// 288-row kv_a cut as 192 + 96 beside q_a's 2 × 192 left one core 384 rows and the other 288; 2816 rows in 8
    /// slices of 1 or 2 × 192 left one core a slice more); otherwise the unit itself (whole FP8 scale blocks, BF16
    /// shared-input runs, 4-row panels).
    /// </summary>
    public static int CutRows(in WeightMatrix weight, int n, int unit) => UsesPacked(weight, n) ? PackedGemmKernel.PanelRows : unit;

    private static bool UsesFused(in WeightMatrix weight, int n, int rowStart) =>
        n <= FusedGemvKernel.MaxTokens(weight.Columns) && FusedGemvKernel.IsSupported && Bf16PairKernel.IsSupported
            && weight.Format != WeightFormat.F32
            && (weight.Format == WeightFormat.BF16
                || (weight.BlockRows % LinearKernel.PanelRows == 0 && rowStart % LinearKernel.PanelRows == 0));

    internal static bool UsesPacked(in WeightMatrix weight, int n) =>
        PackedGemmKernel.IsSupported && !UsesFused(weight, n, 0) && n > FusedGemvKernel.MaxTokens(weight.Columns)
            && weight.Rows >= PackedGemmKernel.MinSliceRows;

    public static void Compute(in WeightMatrix weight, float* x, int n, float* y, int yStride, int rowStart, int first, int end)
    {
        bool fused = UsesFused(weight, n, rowStart);
        if (fused)
        {
            ComputeFused(weight, x, n, y, yStride, rowStart, first, end);
        }
        else if (UsesPacked(weight, n))
        {
            int tail = FusedTailTokens(weight, n, rowStart);
            PackedGemmKernel.Compute(weight, x, n - tail, y, yStride, rowStart, first, end);
            ComputeTail(weight, x, n, tail, y, yStride, rowStart, first, end);
        }
        else
        {
            ComputeTiled(weight, x, n, y, yStride, rowStart, first, end);
        }
    }

    /// <summary>
    /// How many tokens past the last whole 32-token group of a packed-kernel product go through the fused kernels instead:
    /// up to <see cref="MaxFusedTail"/> would fill a 32-lane group only in part, at the cost of a whole one (one thread,
    /// FP8 384 × 1024: 33 tokens as two groups 100 GFLOP/s, 32 tokens 179, 1 token fused 73; an expert of a prefill gets
    /// 32·k + a few tokens as often as not). 0 when none do.
    /// </summary>
    private static int FusedTailTokens(in WeightMatrix weight, int n, int rowStart)
    {
        int tail = n % PackedGemmKernel.TokenGroup;
        return n > PackedGemmKernel.TokenGroup && tail <= MaxFusedTail && UsesPacked(weight, n) && UsesFused(weight, tail, rowStart)
            ? tail : 0;
    }

    /// <summary>
    /// The most tokens of a tail <see cref="FusedTailTokens"/> hands to the fused kernels. Unlike a whole product of 25-48
    /// tokens (<see cref="FusedGemvKernel.MaxTokens"/>), a tail sits beside whole groups whose panels the packed kernel
    /// decodes anyway, so a partial lane group costs it only the multiply-adds.
    /// </summary>
    private const int MaxFusedTail = 24;

    /// <summary>
    /// y[t] for the tokens [firstToken, endToken) of an n-token product whose x was transposed once for all its slices
    /// (<see cref="PackInputJob"/>; slices start on whole 32-token groups), rows [first, end): the packed kernel, and the
    /// fused kernels for the tail of the slice that ends the product.
    /// </summary>
    public static void ComputePrepacked(in WeightMatrix weight, float* packed, float* x, int n, int firstToken, int endToken, float* y,
        int yStride, int rowStart, int first, int end)
    {
        int tail = endToken == n ? FusedTailTokens(weight, n, rowStart) : 0;
        float* slice = packed + PackedGemmKernel.PackedInputFloats(firstToken, weight.Columns);
        PackedGemmKernel.ComputePacked(weight, slice, endToken - firstToken - tail, y + ((long)firstToken * yStride), yStride, rowStart, first,
            end);
        ComputeTail(weight, x, n, tail, y, yStride, rowStart, first, end);
    }

    /// <summary>y[t] for the last <paramref name="tail"/> of n tokens (<see cref="FusedTailTokens"/>), rows [first, end).</summary>
    private static void ComputeTail(in WeightMatrix weight, float* x, int n, int tail, float* y, int yStride, int rowStart, int first, int end)
    {
        if (tail > 0)
        {
            ComputeFused(weight, x + ((long)(n - tail) * weight.Columns), tail, y + ((long)(n - tail) * yStride), yStride, rowStart, first,
                end);
        }
    }

    private static void ComputeTiled(in WeightMatrix weight, float* x, int n, float* y, int yStride, int rowStart, int first, int end)
    {
        int columns = weight.Columns;
        var panel = CpuBackend.RowScratch(LinearKernel.PanelRows * columns);
        var input = new ReadOnlySpan<float>(x, n * columns);
        var output = new Span<float>(y, n * yStride);
        for (int r = first; r < end; r += LinearKernel.PanelRows)
        {
            int rows = Math.Min(LinearKernel.PanelRows, end - r);
            for (int i = 0; i < rows; i++)
            {
                weight.DequantizeRow(rowStart + r + i, panel.Slice(i * columns, columns));
            }

            LinearKernel.Multiply(panel, rows, input, n, columns, output, yStride, r);
        }
    }

    private static void ComputeFused(in WeightMatrix weight, float* x, int n, float* y, int yStride, int rowStart, int first, int end)
    {
        int columns = weight.Columns;
        if (n == 1)
        {
            ComputeOneToken(weight, x, y, rowStart, first, end);
            return;
        }

        int fullEnd = first + ((end - first) / LinearKernel.PanelRows * LinearKernel.PanelRows);
        fixed (float* xPrepared = CpuBackend.RowScratch(n * columns))
        {
            if (weight.Format == WeightFormat.BF16)
            {
                // x in the pair layout of the BF16 kernel, made once for every panel of this call.
                Bf16PairKernel.Deinterleave(x, n, columns, xPrepared);
                for (int r = first; r < fullEnd; r += LinearKernel.PanelRows)
                {
                    byte* rows = weight.Data + ((long)(rowStart + r) * columns * 2);
                    if (n == 2 && r + 8 <= fullEnd)
                    {
                        Bf16PairKernel.EightRowsTwoTokens(rows, columns, xPrepared, y + r, yStride);
                        Bf16PairKernel.Tail(rows, columns, xPrepared, 2, y, yStride, r);
                        Bf16PairKernel.Tail(rows + (8L * columns), columns, xPrepared, 2, y, yStride, r + 4);
                        r += LinearKernel.PanelRows; // two panels
                        continue;
                    }

                    Bf16PairKernel.Panel(rows, columns, xPrepared, n, y, yStride, r);
                }
            }
            else
            {
                int scaledBlock = -1;
                for (int r = first; r < fullEnd; r += LinearKernel.PanelRows)
                {
                    // Panels start at rows ≡ 0 (mod 4) and blocks are multiples of 4 rows high: one scale row per panel.
                    int row = rowStart + r;
                    int block = row / weight.BlockRows;
                    if (block != scaledBlock)
                    {
                        ScaleInput(weight, x, n, row, xPrepared);
                        scaledBlock = block;
                    }

                    if (n == 2 && row % 8 == 0 && r + 8 <= fullEnd)
                    {
                        // Two tokens (an expert's share of a decode batch, often): 8 weight streams, as for one.
                        FusedGemvKernel.EightRowsTwoTokens<Fp8Decoder>(weight.Data + ((long)row * columns), columns, xPrepared, 2, y + r, yStride);
                        r += LinearKernel.PanelRows; // two panels
                        continue;
                    }

                    FusedGemvKernel.Panel<Fp8Decoder>(weight.Data + ((long)row * columns), columns, xPrepared, n, y, yStride, r);
                }
            }
        }

        if (fullEnd < end)
        {
            ComputeTiled(weight, x, n, y, yStride, rowStart, fullEnd, end);
        }
    }

    /// <summary>
    /// y[first, end) of a gated product (<see cref="LinearProduct.SiluGated"/>) for one token: the gate and up rows of the
    /// slice as two streams, one in each matrix (<see cref="TwoStreamGemv.Fp8GateUp"/>, <see cref="TwoStreamGemv.Bf16GateUp"/>),
    /// then silu(gate) ⊙ up on the slice by the thread that computed it. Separately, an expert's gate and up projections
    /// were two tasks of two 196 KB streams each (rows r and r + 192 of one matrix), and the activation ran on the calling
    /// thread after the group, over rows the other core had written, while that core waited (2-5 µs a MoE layer). Zen 4,
    /// batch-1 decode, the small preset, steps alternating with the separate products in one process: FP8 0.992-1.043×
    /// (10 runs, mean 1.021; the same build against itself 0.998-1.014, mean 1.004), BF16 0.996-1.027× (mean 1.011;
    /// itself 1.003).
    /// Elsewhere (no AVX-512, other row layouts) the two products run one after the other, then the activation.
    /// </summary>
    public static void ComputeSiluGated(in WeightMatrix gate, in WeightMatrix up, float* x, float* y, int first, int end)
    {
        int columns = gate.Columns, rows = end - first;
        var upRows = AlignedScratch.Get(ref t_upRows, rows);
        fixed (float* upPointer = upRows)
        {
            if (UsesFused(gate, 1, 0) && gate.Format == WeightFormat.BF16)
            {
                fixed (float* xPaired = CpuBackend.RowScratch(columns))
                {
                    Bf16PairKernel.Deinterleave(x, 1, columns, xPaired);
                    TwoStreamGemv.Bf16GateUp(gate.Data + ((long)first * columns * 2), up.Data + ((long)first * columns * 2), rows, columns, xPaired,
                        y + first, upPointer);
                }
            }
            else if (UsesFused(gate, 1, 0) && TwoStreamGemv.CanTakeArranged(gate) && TwoStreamGemv.CanTakeArranged(up))
            {
                fixed (float* xArranged = CpuBackend.RowScratch(columns))
                {
                    Fp8WideDecoder.Arrange(x, columns, Fp8Decoder.InputScale, xArranged);
                    TwoStreamGemv.Fp8GateUp(gate, up, first, rows, xArranged, y + first, upPointer);
                }
            }
            else
            {
                Compute(gate, x, 1, y, gate.Rows, 0, first, end);
                Compute(up, x, 1, upPointer - first, gate.Rows, 0, first, end);
            }

            ElementwiseJob.SiluMultiply(new Span<float>(y + first, rows), upRows);
        }
    }

    [ThreadStatic]
    private static float[]? t_upRows;

    /// <summary>Batch-1 decode: the slice's rows as two sequential streams (<see cref="TwoStreamGemv"/>).</summary>
    private static void ComputeOneToken(in WeightMatrix weight, float* x, float* y, int rowStart, int first, int end)
    {
        int columns = weight.Columns;
        fixed (float* xPrepared = CpuBackend.RowScratch(columns))
        {
            if (weight.Format == WeightFormat.BF16)
            {
                Bf16PairKernel.Deinterleave(x, 1, columns, xPrepared);
                TwoStreamGemv.Bf16(weight.Data + ((long)(rowStart + first) * columns * 2), end - first, columns, xPrepared, y + first);
            }
            else
            {
                bool arranged = TwoStreamGemv.CanTakeArranged(weight);
                if (arranged)
                {
                    Fp8WideDecoder.Arrange(x, columns, Fp8Decoder.InputScale, xPrepared);
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.Multiply(new ReadOnlySpan<float>(x, columns), Fp8Decoder.InputScale,
                        new Span<float>(xPrepared, columns));
                }

                TwoStreamGemv.Fp8(weight, rowStart + first, end - first, xPrepared, y + first, arranged);
            }
        }
    }

    /// <summary>target[t, j] = x[t, j] · scale[row / BlockRows, j / BlockColumns] · <see cref="Fp8Decoder.InputScale"/>.</summary>
    private static void ScaleInput(in WeightMatrix weight, float* x, int n, int row, float* target)
    {
        int columns = weight.Columns;
        var scales = new ReadOnlySpan<float>(weight.ScaleRow(row), weight.ScaleColumns);
        // Plain vector multiplies: a library call per 128-value block cost a twentieth of an expert's down projection.
        for (int block = 0; block < scales.Length; block++)
        {
            int start = block * weight.BlockColumns;
            int end = Math.Min(columns, start + weight.BlockColumns);
            int vectorEnd = start + ((end - start) & ~15);
            float factor = scales[block] * Fp8Decoder.InputScale;
            var factors = Vector512.Create(factor);
            for (int t = 0; t < n; t++)
            {
                float* source = x + ((long)t * columns), destination = target + ((long)t * columns);
                int j = start;
                for (; j < vectorEnd; j += 16)
                {
                    (Vector512.Load(source + j) * factors).Store(destination + j);
                }

                for (; j < end; j++)
                {
                    destination[j] = source[j] * factor;
                }
            }
        }
    }
}
