using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[t, ·] = Σ_r x[t, r] · W[r, ·] for a float32 W [rows, columns] (a head's slice of kv_b_proj, dequantized once per
/// task): the absorbed q · W_UK of a prefill-sized step. The slice is short (64 rows), so the packed kernel, which
/// wants W transposed and sums along the rows, spent most of its time on packing and stores (29 % of FMA peak per head
/// at 1024 tokens). Here the sums run along the columns: 6 tokens × 64 columns stay in 24 registers while the rows go
/// past (4 row vectors loaded and each token's x value broadcast per row: 24 FMAs per 10 loads), and finished sums are
/// stored as whole rows, so x and y may be strided (one head inside [tokens, heads, ·] buffers) with no gather or
/// scatter. Needs AVX-512.
/// </summary>
internal static unsafe class WeightedRowsKernel
{
    private const int Tokens = 6;

    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// y[t·yStride + c] = Σ_r x[t·xStride + r] · w[r·columns + c] for t in [first, end), c &lt; columns, r &lt; rows.
    /// </summary>
    public static void Compute(float* w, int rows, int columns, float* x, int xStride, int first, int end, float* y, int yStride)
    {
        int tiled = columns & ~63, vectors = columns & ~15;
        for (int t = first; t < end; t += Tokens)
        {
            int count = Math.Min(Tokens, end - t);
            float* xs = x + ((long)t * xStride), ys = y + ((long)t * yStride);
            for (int c = 0; c < tiled; c += 64)
            {
                Tile64(w + c, rows, columns, xs, xStride, count, ys + c, yStride);
            }

            for (int c = tiled; c < vectors; c += 16)
            {
                Tile16(w + c, rows, columns, xs, xStride, count, ys + c, yStride);
            }

            for (int i = 0; i < count; i++)
            {
                for (int c = vectors; c < columns; c++)
                {
                    float sum = 0;
                    for (int r = 0; r < rows; r++)
                    {
                        sum += xs[((long)i * xStride) + r] * w[((long)r * columns) + c];
                    }

                    ys[((long)i * yStride) + c] = sum;
                }
            }
        }
    }

    /// <summary>64 columns of up to 6 tokens (tokens past <paramref name="count"/> repeat the first one's x and are not stored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile64(float* w, int rows, int columns, float* x, int xStride, int count, float* y, int yStride)
    {
        float* x0 = x, x1 = count > 1 ? x + xStride : x, x2 = count > 2 ? x + (2L * xStride) : x;
        float* x3 = count > 3 ? x + (3L * xStride) : x, x4 = count > 4 ? x + (4L * xStride) : x, x5 = count > 5 ? x + (5L * xStride) : x;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        for (int r = 0; r < rows; r++, w += columns)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var w2 = Vector512.Load(w + 32);
            var w3 = Vector512.Load(w + 48);
            var b = Vector512.Create(x0[r]);
            a00 = Avx512F.FusedMultiplyAdd(w0, b, a00); a01 = Avx512F.FusedMultiplyAdd(w1, b, a01);
            a02 = Avx512F.FusedMultiplyAdd(w2, b, a02); a03 = Avx512F.FusedMultiplyAdd(w3, b, a03);
            b = Vector512.Create(x1[r]);
            a10 = Avx512F.FusedMultiplyAdd(w0, b, a10); a11 = Avx512F.FusedMultiplyAdd(w1, b, a11);
            a12 = Avx512F.FusedMultiplyAdd(w2, b, a12); a13 = Avx512F.FusedMultiplyAdd(w3, b, a13);
            b = Vector512.Create(x2[r]);
            a20 = Avx512F.FusedMultiplyAdd(w0, b, a20); a21 = Avx512F.FusedMultiplyAdd(w1, b, a21);
            a22 = Avx512F.FusedMultiplyAdd(w2, b, a22); a23 = Avx512F.FusedMultiplyAdd(w3, b, a23);
            b = Vector512.Create(x3[r]);
            a30 = Avx512F.FusedMultiplyAdd(w0, b, a30); a31 = Avx512F.FusedMultiplyAdd(w1, b, a31);
            a32 = Avx512F.FusedMultiplyAdd(w2, b, a32); a33 = Avx512F.FusedMultiplyAdd(w3, b, a33);
            b = Vector512.Create(x4[r]);
            a40 = Avx512F.FusedMultiplyAdd(w0, b, a40); a41 = Avx512F.FusedMultiplyAdd(w1, b, a41);
            a42 = Avx512F.FusedMultiplyAdd(w2, b, a42); a43 = Avx512F.FusedMultiplyAdd(w3, b, a43);
            b = Vector512.Create(x5[r]);
            a50 = Avx512F.FusedMultiplyAdd(w0, b, a50); a51 = Avx512F.FusedMultiplyAdd(w1, b, a51);
            a52 = Avx512F.FusedMultiplyAdd(w2, b, a52); a53 = Avx512F.FusedMultiplyAdd(w3, b, a53);
        }

        Store4(y, a00, a01, a02, a03);
        if (count > 1)
        {
            Store4(y + yStride, a10, a11, a12, a13);
        }

        if (count > 2)
        {
            Store4(y + (2L * yStride), a20, a21, a22, a23);
        }

        if (count > 3)
        {
            Store4(y + (3L * yStride), a30, a31, a32, a33);
        }

        if (count > 4)
        {
            Store4(y + (4L * yStride), a40, a41, a42, a43);
        }

        if (count > 5)
        {
            Store4(y + (5L * yStride), a50, a51, a52, a53);
        }
    }

    /// <summary>16 columns of up to 6 tokens (the columns past the last whole 64).</summary>
    private static void Tile16(float* w, int rows, int columns, float* x, int xStride, int count, float* y, int yStride)
    {
        for (int i = 0; i < count; i++)
        {
            float* xi = x + ((long)i * xStride);
            var sum = Vector512<float>.Zero;
            for (int r = 0; r < rows; r++)
            {
                sum = Avx512F.FusedMultiplyAdd(Vector512.Load(w + ((long)r * columns)), Vector512.Create(xi[r]), sum);
            }

            sum.Store(y + ((long)i * yStride));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        a0.Store(y);
        a1.Store(y + 16);
        a2.Store(y + 32);
        a3.Store(y + 48);
    }
}
