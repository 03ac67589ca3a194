using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The inner loop of <c>y = x · Wᵀ</c> on a panel of up to 4 dequantized weight rows: tiles of 4 rows × 4 tokens
/// keep 16 vector accumulators in registers, so each weight vector loaded feeds 4 FMAs and each token vector 4 more
/// (8 loads per 16 FMAs: arithmetic-bound rather than load-bound in prefill). Decode (one token) uses the 4 × 1 tile.
/// Vector512 where the CPU has it, Vector256 otherwise; <see cref="NaiveKernels.Linear"/> is the reference.
/// </summary>
internal static class LinearKernel
{
    public const int PanelRows = 4;

    /// <summary>
    /// y[t, rowOffset + r] = panel[r] · x[t] for r &lt; rows (≤ 4), t &lt; n.
    /// panel [rows, k], x [n, k], y [n, yStride].
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> panel, int rows, ReadOnlySpan<float> x, int n, int k, Span<float> y,
        int yStride, int rowOffset)
    {
        int t = 0;
        if (rows == PanelRows)
        {
            for (; t + 4 <= n; t += 4)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    Tile4x4Of512(panel, x.Slice(t * k), k, y.Slice((t * yStride) + rowOffset), yStride);
                }
                else
                {
                    Tile4x4Of256(panel, x.Slice(t * k), k, y.Slice((t * yStride) + rowOffset), yStride);
                }
            }
        }

        for (; t < n; t++)
        {
            var token = x.Slice(t * k, k);
            for (int r = 0; r < rows; r++)
            {
                y[(t * yStride) + rowOffset + r] = Dot(panel.Slice(r * k, k), token);
            }
        }
    }

    private static void Tile4x4Of512(ReadOnlySpan<float> panel, ReadOnlySpan<float> x, int k, Span<float> y, int yStride)
    {
        ref float w0 = ref MemoryMarshal.GetReference(panel);
        ref float w1 = ref Unsafe.Add(ref w0, k);
        ref float w2 = ref Unsafe.Add(ref w0, 2 * k);
        ref float w3 = ref Unsafe.Add(ref w0, 3 * k);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float x1 = ref Unsafe.Add(ref x0, k);
        ref float x2 = ref Unsafe.Add(ref x0, 2 * k);
        ref float x3 = ref Unsafe.Add(ref x0, 3 * k);
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            nuint at = (nuint)i;
            var v0 = Vector512.LoadUnsafe(ref w0, at);
            var v1 = Vector512.LoadUnsafe(ref w1, at);
            var v2 = Vector512.LoadUnsafe(ref w2, at);
            var v3 = Vector512.LoadUnsafe(ref w3, at);
            var u = Vector512.LoadUnsafe(ref x0, at);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00); a10 = Vector512.FusedMultiplyAdd(v1, u, a10);
            a20 = Vector512.FusedMultiplyAdd(v2, u, a20); a30 = Vector512.FusedMultiplyAdd(v3, u, a30);
            u = Vector512.LoadUnsafe(ref x1, at);
            a01 = Vector512.FusedMultiplyAdd(v0, u, a01); a11 = Vector512.FusedMultiplyAdd(v1, u, a11);
            a21 = Vector512.FusedMultiplyAdd(v2, u, a21); a31 = Vector512.FusedMultiplyAdd(v3, u, a31);
            u = Vector512.LoadUnsafe(ref x2, at);
            a02 = Vector512.FusedMultiplyAdd(v0, u, a02); a12 = Vector512.FusedMultiplyAdd(v1, u, a12);
            a22 = Vector512.FusedMultiplyAdd(v2, u, a22); a32 = Vector512.FusedMultiplyAdd(v3, u, a32);
            u = Vector512.LoadUnsafe(ref x3, at);
            a03 = Vector512.FusedMultiplyAdd(v0, u, a03); a13 = Vector512.FusedMultiplyAdd(v1, u, a13);
            a23 = Vector512.FusedMultiplyAdd(v2, u, a23); a33 = Vector512.FusedMultiplyAdd(v3, u, a33);
        }

        if (i == k)
        {
            // No tail: each token's four sums are its four adjacent outputs, stored as one vector. The staging array and
            // the 16 scalar stores through the tail loop cost a tile about what a quarter of its FMAs do on 288 columns
            // (decode attention's scores, 8 query rows): 2048 cached keys, batch 1, FP8, Zen 4, pool profile medians
            // of 5 alternating runs 196 -> 171 us of attention per layer (2026-12-07).
            HorizontalSums.Four(a00, a10, a20, a30).CopyTo(y);
            HorizontalSums.Four(a01, a11, a21, a31).CopyTo(y[yStride..]);
            HorizontalSums.Four(a02, a12, a22, a32).CopyTo(y[(2 * yStride)..]);
            HorizontalSums.Four(a03, a13, a23, a33).CopyTo(y[(3 * yStride)..]);
            return;
        }

        Span<float> sums = stackalloc float[16];
        HorizontalSums.Four(a00, a10, a20, a30).CopyTo(sums);
        HorizontalSums.Four(a01, a11, a21, a31).CopyTo(sums[4..]);
        HorizontalSums.Four(a02, a12, a22, a32).CopyTo(sums[8..]);
        HorizontalSums.Four(a03, a13, a23, a33).CopyTo(sums[12..]);
        StoreWithTail(panel, x, k, i, sums, y, yStride);
    }

    private static void Tile4x4Of256(ReadOnlySpan<float> panel, ReadOnlySpan<float> x, int k, Span<float> y, int yStride)
    {
        ref float w0 = ref MemoryMarshal.GetReference(panel);
        ref float w1 = ref Unsafe.Add(ref w0, k);
        ref float w2 = ref Unsafe.Add(ref w0, 2 * k);
        ref float w3 = ref Unsafe.Add(ref w0, 3 * k);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float x1 = ref Unsafe.Add(ref x0, k);
        ref float x2 = ref Unsafe.Add(ref x0, 2 * k);
        ref float x3 = ref Unsafe.Add(ref x0, 3 * k);
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            nuint at = (nuint)i;
            var v0 = Vector256.LoadUnsafe(ref w0, at);
            var v1 = Vector256.LoadUnsafe(ref w1, at);
            var v2 = Vector256.LoadUnsafe(ref w2, at);
            var v3 = Vector256.LoadUnsafe(ref w3, at);
            var u = Vector256.LoadUnsafe(ref x0, at);
            a00 = Vector256.FusedMultiplyAdd(v0, u, a00); a10 = Vector256.FusedMultiplyAdd(v1, u, a10);
            a20 = Vector256.FusedMultiplyAdd(v2, u, a20); a30 = Vector256.FusedMultiplyAdd(v3, u, a30);
            u = Vector256.LoadUnsafe(ref x1, at);
            a01 = Vector256.FusedMultiplyAdd(v0, u, a01); a11 = Vector256.FusedMultiplyAdd(v1, u, a11);
            a21 = Vector256.FusedMultiplyAdd(v2, u, a21); a31 = Vector256.FusedMultiplyAdd(v3, u, a31);
            u = Vector256.LoadUnsafe(ref x2, at);
            a02 = Vector256.FusedMultiplyAdd(v0, u, a02); a12 = Vector256.FusedMultiplyAdd(v1, u, a12);
            a22 = Vector256.FusedMultiplyAdd(v2, u, a22); a32 = Vector256.FusedMultiplyAdd(v3, u, a32);
            u = Vector256.LoadUnsafe(ref x3, at);
            a03 = Vector256.FusedMultiplyAdd(v0, u, a03); a13 = Vector256.FusedMultiplyAdd(v1, u, a13);
            a23 = Vector256.FusedMultiplyAdd(v2, u, a23); a33 = Vector256.FusedMultiplyAdd(v3, u, a33);
        }

        Span<float> sums = stackalloc float[16];
        sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a10); sums[2] = Vector256.Sum(a20); sums[3] = Vector256.Sum(a30);
        sums[4] = Vector256.Sum(a01); sums[5] = Vector256.Sum(a11); sums[6] = Vector256.Sum(a21); sums[7] = Vector256.Sum(a31);
        sums[8] = Vector256.Sum(a02); sums[9] = Vector256.Sum(a12); sums[10] = Vector256.Sum(a22); sums[11] = Vector256.Sum(a32);
        sums[12] = Vector256.Sum(a03); sums[13] = Vector256.Sum(a13); sums[14] = Vector256.Sum(a23); sums[15] = Vector256.Sum(a33);
        StoreWithTail(panel, x, k, i, sums, y, yStride);
    }

    /// <summary>Adds the scalar tail (columns past the last whole vector) and stores the 4 × 4 results.</summary>
    private static void StoreWithTail(ReadOnlySpan<float> panel, ReadOnlySpan<float> x, int k, int tailStart,
        Span<float> sums, Span<float> y, int yStride)
    {
        for (int t = 0; t < 4; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                float sum = sums[(t * 4) + r];
                for (int i = tailStart; i < k; i++)
                {
                    sum += panel[(r * k) + i] * x[(t * k) + i];
                }

                y[(t * yStride) + r] = sum;
            }
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
