using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Decode-sized <c>y = x · Wᵀ</c> (1 to 4 tokens) straight from the stored weights: 16 BF16 or FP8 codes at a time
/// are zero-extended into 16 lanes (vpmovzx), turned into float32 in registers and multiplied into 4 rows × n tokens
/// of accumulators, so the weights cross the memory bus once and never round-trip through a scratch row. This is the
/// kernel that decides how close batch-1 decoding gets to the memory-bandwidth roofline. One loop serves both
/// formats through <see cref="IWeightDecoder"/>; the JIT specializes it per decoder.
/// FP8: a 4-row panel lies inside one 128-row scale block, so the block scale of each 128-column block is folded into
/// a scaled copy of x (x·s, made once per row block): Σ code·(x·s) = Σ (code·s)·x, the reference's dequantized product
/// up to float rounding. Needs AVX-512; elsewhere <see cref="LinearRows"/> uses the dequantize-then-tile path.
/// </summary>
internal static unsafe class FusedGemvKernel
{
    public const int MaxTokens = 4;

    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// y[t, rowOffset + r] = decode(W[r]) · x[t] for the 4 rows starting at <paramref name="weights"/>, t &lt; n ≤ 4;
    /// x [n, columns] (for FP8 already carrying this panel's block scales).
    /// </summary>
    public static void Panel<TDecoder>(byte* weights, int columns, float* x, int n, float* y, int yStride, int rowOffset)
        where TDecoder : IWeightDecoder
    {
        long rowBytes = (long)columns * TDecoder.BytesPerWeight;
        byte* w0 = weights, w1 = weights + rowBytes, w2 = weights + (2 * rowBytes), w3 = weights + (3 * rowBytes);
        int vectorEnd = columns & ~15;
        if (n == 1)
        {
            // One token: accumulators stay in registers.
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < vectorEnd; i += 16)
            {
                long at = (long)i * TDecoder.BytesPerWeight;
                var xv = Vector512.Load(x + i);
                a0 = Avx512F.FusedMultiplyAdd(TDecoder.Load16(w0 + at), xv, a0);
                a1 = Avx512F.FusedMultiplyAdd(TDecoder.Load16(w1 + at), xv, a1);
                a2 = Avx512F.FusedMultiplyAdd(TDecoder.Load16(w2 + at), xv, a2);
                a3 = Avx512F.FusedMultiplyAdd(TDecoder.Load16(w3 + at), xv, a3);
            }

            Store(y + rowOffset, a0, a1, a2, a3);
        }
        else
        {
            var acc = stackalloc Vector512<float>[4 * MaxTokens]; // [token][row]
            new Span<Vector512<float>>(acc, 4 * MaxTokens).Clear();
            for (int i = 0; i < vectorEnd; i += 16)
            {
                long at = (long)i * TDecoder.BytesPerWeight;
                var v0 = TDecoder.Load16(w0 + at);
                var v1 = TDecoder.Load16(w1 + at);
                var v2 = TDecoder.Load16(w2 + at);
                var v3 = TDecoder.Load16(w3 + at);
                for (int t = 0; t < n; t++)
                {
                    var xv = Vector512.Load(x + (t * columns) + i);
                    var a = acc + (t * 4);
                    a[0] = Avx512F.FusedMultiplyAdd(v0, xv, a[0]);
                    a[1] = Avx512F.FusedMultiplyAdd(v1, xv, a[1]);
                    a[2] = Avx512F.FusedMultiplyAdd(v2, xv, a[2]);
                    a[3] = Avx512F.FusedMultiplyAdd(v3, xv, a[3]);
                }
            }

            for (int t = 0; t < n; t++)
            {
                Store(y + (t * yStride) + rowOffset, acc[t * 4], acc[(t * 4) + 1], acc[(t * 4) + 2], acc[(t * 4) + 3]);
            }
        }

        // Columns past the last whole vector.
        for (int t = 0; t < n; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                byte* row = weights + (r * rowBytes);
                for (int j = vectorEnd; j < columns; j++)
                {
                    y[(t * yStride) + rowOffset + r] += TDecoder.Load1(row + ((long)j * TDecoder.BytesPerWeight)) * x[(t * columns) + j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        y[0] = Vector512.Sum(a0);
        y[1] = Vector512.Sum(a1);
        y[2] = Vector512.Sum(a2);
        y[3] = Vector512.Sum(a3);
    }
}
