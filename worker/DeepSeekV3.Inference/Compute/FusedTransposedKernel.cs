using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Decode-sized <c>y = x · W[rowStart .. rowStart + rowCount)</c> (the absorbed attention's q · W_UK, one head's rows of
/// kv_b_proj) straight from the stored weights: a tile of 64 output columns × 4 tokens stays in 16 registers while the
/// head's rows stream past, each 16 codes decoded once in registers (the decode kernels' conversions) and multiplied
/// into the 4 tokens. Sums never leave the registers before they are done: updating y in memory row after row made
/// every row's load wait on the previous row's store of the same 64 bytes (4-5x slower, 2026-12-06).
/// FP8's block scale and the decoder's 2^-120 offset ride on each token's x value (x · scale · 2^64) and the finished
/// sums (· 2^56), as in <see cref="FusedGemvKernel"/>. Needs AVX-512 and whole 16-column vectors (and FP8 blocks).
/// </summary>
internal static unsafe class FusedTransposedKernel
{
    private const int Tokens = 4;

    public static bool Supports(in WeightMatrix weight) =>
        Avx512F.IsSupported && weight.Columns % 16 == 0
        && (weight.Format == WeightFormat.BF16 || (weight.Format == WeightFormat.F8E4M3Blocked && weight.BlockColumns % 16 == 0));

    /// <summary>y[t, ·] = Σ_r x[t, r] · W[rowStart + r, ·] for t in [first, end); x [n, rowCount], y [n, Columns].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(in WeightMatrix weight, int rowStart, int rowCount, float* x, int first, int end, float* y)
    {
        int columns = weight.Columns;
        bool fp8 = weight.Format == WeightFormat.F8E4M3Blocked;
        int blockColumns = fp8 ? weight.BlockColumns : columns;
        // A 64-column tile must not straddle two FP8 column blocks (its tokens' x carry one block's scale).
        int tileColumns = blockColumns % 64 == 0 ? 64 : 16;
        // [row, token of the group]: x · scale · 2^64, in the thread's pinned scratch (nothing else of this call uses it).
        fixed (float* coefficients = CpuBackend.RowScratch(2 * rowCount * Tokens))
        {
            ComputeTiles(weight, fp8, blockColumns, tileColumns, rowStart, rowCount, x, first, end, y, coefficients);
        }
    }

    private static void ComputeTiles(in WeightMatrix weight, bool fp8, int blockColumns, int tileColumns, int rowStart, int rowCount,
        float* x, int first, int end, float* y, float* coefficients)
    {
        int columns = weight.Columns;
        for (int group = first; group < end; group += Tokens)
        {
            int tokens = Math.Min(Tokens, end - group);
            int preparedBlock = -1;
            int c = 0;
            if (tokens == 1 && blockColumns % OneTokenHalf == 0)
            {
                // One token (batch-1 decode): whole 256-column stretches of every row, read front to back.
                float* second = coefficients + (rowCount * Tokens);
                for (; c + (2 * OneTokenHalf) <= columns; c += 2 * OneTokenHalf)
                {
                    PrepareCoefficients(weight, fp8, rowStart, rowCount, c / blockColumns, x + ((long)group * rowCount), 1, coefficients);
                    PrepareCoefficients(weight, fp8, rowStart, rowCount, (c + OneTokenHalf) / blockColumns, x + ((long)group * rowCount), 1,
                        second);
                    Tile256OneToken(weight, fp8, rowStart, rowCount, c, coefficients, second, y + ((long)group * columns) + c);
                }
            }

            for (; c < columns; c += tileColumns)
            {
                int block = c / blockColumns;
                if (block != preparedBlock)
                {
                    PrepareCoefficients(weight, fp8, rowStart, rowCount, block, x + ((long)group * rowCount), tokens, coefficients);
                    preparedBlock = block;
                }

                float* target = y + ((long)group * columns) + c;
                if (c + 64 <= columns && tileColumns == 64)
                {
                    Tile64(weight, fp8, rowStart, rowCount, c, coefficients, tokens, target, columns);
                }
                else
                {
                    for (int v = c; v < Math.Min(columns, c + tileColumns); v += 16)
                    {
                        Tile16(weight, fp8, rowStart, rowCount, v, coefficients, tokens, y + ((long)group * columns) + v, columns);
                    }
                }
            }
        }
    }

    /// <summary>coefficients[r, t] = x[t, r] (BF16) or x[t, r] · scale(row block of r, column block) · 2^64 (FP8); 0 for missing tokens.</summary>
    private static void PrepareCoefficients(in WeightMatrix weight, bool fp8, int rowStart, int rowCount, int block, float* x, int tokens,
        float* coefficients)
    {
        int rowBlock = fp8 ? rowStart / weight.BlockRows : 0;
        int nextBlockRow = fp8 ? (rowBlock + 1) * weight.BlockRows : int.MaxValue;
        for (int r = 0; r < rowCount; r++)
        {
            if (rowStart + r == nextBlockRow)
            {
                // Counted, not divided: one division per row costs more than the row's multiply-adds at one token.
                rowBlock++;
                nextBlockRow += weight.BlockRows;
            }

            float scale = fp8 ? weight.BlockScales[((long)rowBlock * weight.ScaleColumns) + block] * Fp8Decoder.InputScale : 1f;
            for (int t = 0; t < Tokens; t++)
            {
                coefficients[(r * Tokens) + t] = t < tokens ? x[((long)t * rowCount) + r] * scale : 0f;
            }
        }
    }

    /// <summary>y[t, c .. c + 64) for the group's tokens: 4 decoded vectors × 4 tokens of accumulators per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile64(in WeightMatrix weight, bool fp8, int rowStart, int rowCount, int c, float* coefficients, int tokens,
        float* y, int yStride)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int r = 0; r < rowCount; r++)
        {
            long at = ((long)(rowStart + r) * weight.Columns) + c;
            Vector512<float> w0, w1, w2, w3;
            if (fp8)
            {
                byte* codes = weight.Data + at;
                w0 = Fp8Decoder.Load16(codes);
                w1 = Fp8Decoder.Load16(codes + 16);
                w2 = Fp8Decoder.Load16(codes + 32);
                w3 = Fp8Decoder.Load16(codes + 48);
            }
            else
            {
                ushort* values = (ushort*)weight.Data + at;
                w0 = Bf16(values);
                w1 = Bf16(values + 16);
                w2 = Bf16(values + 32);
                w3 = Bf16(values + 48);
            }

            float* k = coefficients + (r * Tokens);
            var k0 = Vector512.Create(k[0]);
            a00 = Avx512F.FusedMultiplyAdd(w0, k0, a00); a01 = Avx512F.FusedMultiplyAdd(w1, k0, a01);
            a02 = Avx512F.FusedMultiplyAdd(w2, k0, a02); a03 = Avx512F.FusedMultiplyAdd(w3, k0, a03);
            var k1 = Vector512.Create(k[1]);
            a10 = Avx512F.FusedMultiplyAdd(w0, k1, a10); a11 = Avx512F.FusedMultiplyAdd(w1, k1, a11);
            a12 = Avx512F.FusedMultiplyAdd(w2, k1, a12); a13 = Avx512F.FusedMultiplyAdd(w3, k1, a13);
            var k2 = Vector512.Create(k[2]);
            a20 = Avx512F.FusedMultiplyAdd(w0, k2, a20); a21 = Avx512F.FusedMultiplyAdd(w1, k2, a21);
            a22 = Avx512F.FusedMultiplyAdd(w2, k2, a22); a23 = Avx512F.FusedMultiplyAdd(w3, k2, a23);
            var k3 = Vector512.Create(k[3]);
            a30 = Avx512F.FusedMultiplyAdd(w0, k3, a30); a31 = Avx512F.FusedMultiplyAdd(w1, k3, a31);
            a32 = Avx512F.FusedMultiplyAdd(w2, k3, a32); a33 = Avx512F.FusedMultiplyAdd(w3, k3, a33);
        }

        var unscale = Vector512.Create(fp8 ? Fp8Decoder.OutputScale : 1f);
        Store4(y, a00, a01, a02, a03, unscale);
        if (tokens > 1)
        {
            Store4(y + yStride, a10, a11, a12, a13, unscale);
        }

        if (tokens > 2)
        {
            Store4(y + (2L * yStride), a20, a21, a22, a23, unscale);
        }

        if (tokens > 3)
        {
            Store4(y + (3L * yStride), a30, a31, a32, a33, unscale);
        }
    }

    /// <summary>
    /// Half of the one-token row stretch (<see cref="Tile256OneToken"/>), and the FP8 column block multiple it needs: each
    /// half lies in one block, so one coefficient per row serves it.
    /// </summary>
    private const int OneTokenHalf = 128;

    /// <summary>
    /// y[c .. c + 256) for one token, 16 accumulators: each row's 256 columns are read contiguously, so a head's slice
    /// of kv_b_proj streams front to back once. The 64-column tiles read it in four passes of 64 bytes every row
    /// (FP8), each a strided walk the hardware prefetcher follows poorly: batch-1 decode spent 14.5 µs per layer on
    /// 128 KB of W_UK that way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256OneToken(in WeightMatrix weight, bool fp8, int rowStart, int rowCount, int c, float* first,
        float* second, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int r = 0; r < rowCount; r++)
        {
            long at = ((long)(rowStart + r) * weight.Columns) + c;
            var k = Vector512.Create(first[r * Tokens]);
            var m = Vector512.Create(second[r * Tokens]);
            if (fp8)
            {
                byte* codes = weight.Data + at;
                WeightPrefetch.StreamAhead(codes, 2 * OneTokenHalf);
                a0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes), k, a0);
                a1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 16), k, a1);
                a2 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 32), k, a2);
                a3 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 48), k, a3);
                a4 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 64), k, a4);
                a5 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 80), k, a5);
                a6 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 96), k, a6);
                a7 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 112), k, a7);
                b0 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 128), m, b0);
                b1 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 144), m, b1);
                b2 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 160), m, b2);
                b3 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 176), m, b3);
                b4 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 192), m, b4);
                b5 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 208), m, b5);
                b6 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 224), m, b6);
                b7 = Avx512F.FusedMultiplyAdd(Fp8Decoder.Load16(codes + 240), m, b7);
            }
            else
            {
                ushort* values = (ushort*)weight.Data + at;
                WeightPrefetch.StreamAhead((byte*)values, 4 * OneTokenHalf);
                a0 = Avx512F.FusedMultiplyAdd(Bf16(values), k, a0);
                a1 = Avx512F.FusedMultiplyAdd(Bf16(values + 16), k, a1);
                a2 = Avx512F.FusedMultiplyAdd(Bf16(values + 32), k, a2);
                a3 = Avx512F.FusedMultiplyAdd(Bf16(values + 48), k, a3);
                a4 = Avx512F.FusedMultiplyAdd(Bf16(values + 64), k, a4);
                a5 = Avx512F.FusedMultiplyAdd(Bf16(values + 80), k, a5);
                a6 = Avx512F.FusedMultiplyAdd(Bf16(values + 96), k, a6);
                a7 = Avx512F.FusedMultiplyAdd(Bf16(values + 112), k, a7);
                b0 = Avx512F.FusedMultiplyAdd(Bf16(values + 128), m, b0);
                b1 = Avx512F.FusedMultiplyAdd(Bf16(values + 144), m, b1);
                b2 = Avx512F.FusedMultiplyAdd(Bf16(values + 160), m, b2);
                b3 = Avx512F.FusedMultiplyAdd(Bf16(values + 176), m, b3);
                b4 = Avx512F.FusedMultiplyAdd(Bf16(values + 192), m, b4);
                b5 = Avx512F.FusedMultiplyAdd(Bf16(values + 208), m, b5);
                b6 = Avx512F.FusedMultiplyAdd(Bf16(values + 224), m, b6);
                b7 = Avx512F.FusedMultiplyAdd(Bf16(values + 240), m, b7);
            }
        }

        var unscale = Vector512.Create(fp8 ? Fp8Decoder.OutputScale : 1f);
        Store4(y, a0, a1, a2, a3, unscale);
        Store4(y + 64, a4, a5, a6, a7, unscale);
        Store4(y + 128, b0, b1, b2, b3, unscale);
        Store4(y + 192, b4, b5, b6, b7, unscale);
    }

    /// <summary>y[t, c .. c + 16) for the group's tokens (columns or FP8 blocks not in whole 64s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile16(in WeightMatrix weight, bool fp8, int rowStart, int rowCount, int c, float* coefficients, int tokens,
        float* y, int yStride)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int r = 0; r < rowCount; r++)
        {
            long at = ((long)(rowStart + r) * weight.Columns) + c;
            var w = fp8 ? Fp8Decoder.Load16(weight.Data + at) : Bf16((ushort*)weight.Data + at);
            float* k = coefficients + (r * Tokens);
            a0 = Avx512F.FusedMultiplyAdd(w, Vector512.Create(k[0]), a0);
            a1 = Avx512F.FusedMultiplyAdd(w, Vector512.Create(k[1]), a1);
            a2 = Avx512F.FusedMultiplyAdd(w, Vector512.Create(k[2]), a2);
            a3 = Avx512F.FusedMultiplyAdd(w, Vector512.Create(k[3]), a3);
        }

        var unscale = Vector512.Create(fp8 ? Fp8Decoder.OutputScale : 1f);
        (a0 * unscale).Store(y);
        if (tokens > 1)
        {
            (a1 * unscale).Store(y + yStride);
        }

        if (tokens > 2)
        {
            (a2 * unscale).Store(y + (2L * yStride));
        }

        if (tokens > 3)
        {
            (a3 * unscale).Store(y + (3L * yStride));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bf16(ushort* values) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(values)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> unscale)
    {
        (a0 * unscale).Store(y);
        (a1 * unscale).Store(y + 16);
        (a2 * unscale).Store(y + 32);
        (a3 * unscale).Store(y + 48);
    }
}
