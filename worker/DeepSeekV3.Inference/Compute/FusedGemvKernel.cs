using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Decode-sized <c>y = x · Wᵀ</c> (1 to 4 tokens) straight from the stored weights: 16 BF16 or FP8 codes at a time
/// are zero-extended into 16 lanes (vpmovzx), turned into float32 in registers and multiplied into 4 rows × n tokens
/// of accumulators, so the weights cross the memory bus once and never round-trip through a scratch row. This is the
/// kernel that decides how close batch-1 decoding gets to the memory-bandwidth roofline.
/// FP8: a 4-row panel lies inside one 128-row scale block, so the block scale of each 128-column block is folded into
/// a scaled copy of x (x·s, made once per row block): Σ code·(x·s) = Σ (code·s)·x, the reference's dequantized product
/// up to float rounding. Needs AVX-512; elsewhere <see cref="LinearJob"/> uses the dequantize-then-tile path.
/// </summary>
internal static unsafe class FusedGemvKernel
{
    public const int MaxTokens = 4;

    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>y[t, rowOffset + r] = W[r] · x[t] for the 4 rows at <paramref name="weights"/>, t &lt; n ≤ 4 (BF16).</summary>
    public static void Bf16Panel(ushort* weights, int columns, float* x, int n, float* y, int yStride, int rowOffset)
    {
        int vectorEnd = columns & ~15;
        if (n == 1)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < vectorEnd; i += 16)
            {
                var xv = Vector512.Load(x + i);
                a0 = Avx512F.FusedMultiplyAdd(Bf16(weights + i), xv, a0);
                a1 = Avx512F.FusedMultiplyAdd(Bf16(weights + columns + i), xv, a1);
                a2 = Avx512F.FusedMultiplyAdd(Bf16(weights + (2 * columns) + i), xv, a2);
                a3 = Avx512F.FusedMultiplyAdd(Bf16(weights + (3 * columns) + i), xv, a3);
            }

            Store(y + rowOffset, a0, a1, a2, a3);
        }
        else
        {
            var acc = stackalloc Vector512<float>[4 * MaxTokens]; // [token][row]
            new Span<Vector512<float>>(acc, 4 * MaxTokens).Clear();
            for (int i = 0; i < vectorEnd; i += 16)
            {
                var w0 = Bf16(weights + i);
                var w1 = Bf16(weights + columns + i);
                var w2 = Bf16(weights + (2 * columns) + i);
                var w3 = Bf16(weights + (3 * columns) + i);
                for (int t = 0; t < n; t++)
                {
                    var xv = Vector512.Load(x + (t * columns) + i);
                    var a = acc + (t * 4);
                    a[0] = Avx512F.FusedMultiplyAdd(w0, xv, a[0]);
                    a[1] = Avx512F.FusedMultiplyAdd(w1, xv, a[1]);
                    a[2] = Avx512F.FusedMultiplyAdd(w2, xv, a[2]);
                    a[3] = Avx512F.FusedMultiplyAdd(w3, xv, a[3]);
                }
            }

            for (int t = 0; t < n; t++)
            {
                Store(y + (t * yStride) + rowOffset, acc[t * 4], acc[(t * 4) + 1], acc[(t * 4) + 2], acc[(t * 4) + 3]);
            }
        }

        for (int t = 0; t < n; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int j = vectorEnd; j < columns; j++)
                {
                    y[(t * yStride) + rowOffset + r] += BFloat16.ToSingle(weights[(r * columns) + j]) * x[(t * columns) + j];
                }
            }
        }
    }

    /// <summary>
    /// y[t, rowOffset + r] = Σ e4m3(codes[r]) · xScaled[t] for the 4 rows at <paramref name="codes"/>, t &lt; n ≤ 4;
    /// xScaled [n, columns] already carries this panel's block scales.
    /// </summary>
    public static void Fp8Panel(byte* codes, int columns, float* xScaled, int n, float* y, int yStride, int rowOffset)
    {
        int vectorEnd = columns & ~15;
        if (n == 1)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < vectorEnd; i += 16)
            {
                var xv = Vector512.Load(xScaled + i);
                a0 = Avx512F.FusedMultiplyAdd(Fp8(codes + i), xv, a0);
                a1 = Avx512F.FusedMultiplyAdd(Fp8(codes + columns + i), xv, a1);
                a2 = Avx512F.FusedMultiplyAdd(Fp8(codes + (2 * columns) + i), xv, a2);
                a3 = Avx512F.FusedMultiplyAdd(Fp8(codes + (3 * columns) + i), xv, a3);
            }

            Store(y + rowOffset, a0, a1, a2, a3);
        }
        else
        {
            var acc = stackalloc Vector512<float>[4 * MaxTokens];
            new Span<Vector512<float>>(acc, 4 * MaxTokens).Clear();
            for (int i = 0; i < vectorEnd; i += 16)
            {
                var w0 = Fp8(codes + i);
                var w1 = Fp8(codes + columns + i);
                var w2 = Fp8(codes + (2 * columns) + i);
                var w3 = Fp8(codes + (3 * columns) + i);
                for (int t = 0; t < n; t++)
                {
                    var xv = Vector512.Load(xScaled + (t * columns) + i);
                    var a = acc + (t * 4);
                    a[0] = Avx512F.FusedMultiplyAdd(w0, xv, a[0]);
                    a[1] = Avx512F.FusedMultiplyAdd(w1, xv, a[1]);
                    a[2] = Avx512F.FusedMultiplyAdd(w2, xv, a[2]);
                    a[3] = Avx512F.FusedMultiplyAdd(w3, xv, a[3]);
                }
            }

            for (int t = 0; t < n; t++)
            {
                Store(y + (t * yStride) + rowOffset, acc[t * 4], acc[(t * 4) + 1], acc[(t * 4) + 2], acc[(t * 4) + 3]);
            }
        }

        for (int t = 0; t < n; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int j = vectorEnd; j < columns; j++)
                {
                    y[(t * yStride) + rowOffset + r] += Float8E4M3.DecodeTable[codes[(r * columns) + j]] * xScaled[(t * columns) + j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bf16(ushort* bits) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(bits)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fp8(byte* codes) =>
        Float8E4M3.Decode(Avx512F.ConvertToVector512UInt32(Vector128.Load(codes)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        y[0] = Vector512.Sum(a0);
        y[1] = Vector512.Sum(a1);
        y[2] = Vector512.Sum(a2);
        y[3] = Vector512.Sum(a3);
    }
}
