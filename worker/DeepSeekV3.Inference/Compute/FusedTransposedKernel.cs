using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Decode-sized <c>y = x · W[rowStart .. rowStart + rowCount)</c> (the absorbed attention's q · W_UK, one head's rows of
/// kv_b_proj) straight from the stored weights: each 16 codes of a row are decoded once in registers (the decode
/// kernels' conversions) and multiplied into every token's output row, which stays in L1. FP8's block scale and the
/// decoder's 2^-120 offset ride on each token's x value (x · scale · 2^64) and the finished rows (· 2^56), as in
/// <see cref="FusedGemvKernel"/>. Needs AVX-512 and whole 16-column vectors (and FP8 blocks) per row.
/// </summary>
internal static unsafe class FusedTransposedKernel
{
    public static bool Supports(in WeightMatrix weight) =>
        Avx512F.IsSupported && weight.Columns % 16 == 0
        && (weight.Format == WeightFormat.BF16 || (weight.Format == WeightFormat.F8E4M3Blocked && weight.BlockColumns % 16 == 0));

    /// <summary>y[t, ·] = Σ_r x[t, r] · W[rowStart + r, ·] for t in [first, end); x [n, rowCount], y [n, Columns].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(in WeightMatrix weight, int rowStart, int rowCount, float* x, int first, int end, float* y)
    {
        int columns = weight.Columns;
        bool fp8 = weight.Format == WeightFormat.F8E4M3Blocked;
        int scaleColumns = fp8 ? weight.ScaleColumns : 1, blockColumns = fp8 ? weight.BlockColumns : columns;
        new Span<float>(y + ((long)first * columns), (end - first) * columns).Clear();
        Span<float> coefficients = stackalloc float[(end - first) * scaleColumns]; // [token, column block]
        for (int r = 0; r < rowCount; r++)
        {
            int row = rowStart + r;
            float* scales = fp8 ? weight.BlockScales + ((long)(row / weight.BlockRows) * scaleColumns) : null;
            for (int t = first; t < end; t++)
            {
                float value = x[((long)t * rowCount) + r];
                for (int b = 0; b < scaleColumns; b++)
                {
                    coefficients[((t - first) * scaleColumns) + b] = fp8 ? value * scales[b] * Fp8Decoder.InputScale : value;
                }
            }

            for (int c = 0, block = 0, blockEnd = blockColumns; c < columns; c += 16)
            {
                var w = fp8
                    ? Fp8Decoder.Load16(weight.Data + ((long)row * columns) + c)
                    : Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)weight.Data + ((long)row * columns) + c)), 16).AsSingle();
                if (c == blockEnd)
                {
                    // The next column block (counted, not divided: this loop runs once per 16 weights).
                    block++;
                    blockEnd += blockColumns;
                }

                for (int t = first; t < end; t++)
                {
                    float* target = y + ((long)t * columns) + c;
                    Avx512F.FusedMultiplyAdd(w, Vector512.Create(coefficients[((t - first) * scaleColumns) + block]), Vector512.Load(target))
                        .Store(target);
                }
            }
        }

        if (fp8)
        {
            var unscale = Vector512.Create(Fp8Decoder.OutputScale);
            for (long i = (long)first * columns; i < (long)end * columns; i += 16)
            {
                (Vector512.Load(y + i) * unscale).Store(y + i);
            }
        }
    }
}
