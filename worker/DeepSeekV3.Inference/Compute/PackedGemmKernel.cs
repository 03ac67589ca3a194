using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Prefill-sized <c>y = x · Wᵀ</c> (more tokens than the decode kernels take) as outer products, the way BLAS
/// micro-kernels work, with the tokens along the vector lanes: x is transposed once per call into groups of 32 tokens
/// ([column][32 tokens]); 12 weight rows at a time are dequantized (vectorized) into tiles of 16 columns
/// ([16-column chunk][12 rows][16]); then for every column 2 vectors of 16 tokens are multiplied by the broadcast
/// weights of 12 rows into 24 accumulators that stay in registers for the whole row: 24 FMAs per 2 vector loads and 12
/// broadcasts, so the loop runs at the FMA units' pace, with no horizontal sums and one store per result.
/// Transposing x costs columns · n moves per call against rows · columns · n multiply-adds: small for the row
/// counts a call covers. <see cref="NaiveKernels.Linear"/> is the reference.
/// </summary>
internal static unsafe class PackedGemmKernel
{
    public const int PanelRows = 12;

    /// <summary>
    /// Each call transposes all of x (columns · n moves) for its rows · columns · n multiply-adds, so callers give it
    /// slices of at least this many rows, where the transposition is a small share of the work.
    /// </summary>
    public const int MinSliceRows = 192;
    public const int TokenGroup = 32;
    private const int Chunk = 16;
    private const int TileFloats = PanelRows * Chunk;
    private const int L2InputBytes = 512 * 1024;

    public static bool IsSupported => Avx512F.IsSupported;

    [ThreadStatic]
    private static float[]? t_tiles;

    [ThreadStatic]
    private static float[]? t_input;

    [ThreadStatic]
    private static float[]? t_row;

    /// <summary>y[t, r] (r in [first, end)) = W[rowStart + r] · x[t] for t &lt; n; x [n, columns], y [n, yStride].</summary>
    public static void Compute(in WeightMatrix weight, float* x, int n, float* y, int yStride, int rowStart, int first, int end)
    {
        int columns = weight.Columns;
        int chunks = (columns + Chunk - 1) / Chunk, padded = chunks * Chunk;
        int groups = (n + TokenGroup - 1) / TokenGroup;
        var tiles = Scratch(ref t_tiles, chunks * TileFloats);
        var input = Scratch(ref t_input, groups * padded * TokenGroup);
        var row = Scratch(ref t_row, padded);
        fixed (float* tilesPointer = tiles)
        fixed (float* inputPointer = input)
        fixed (float* rowPointer = row)
        {
            PackInput(x, n, columns, padded, inputPointer);
            // Blocks of tokens whose transposed x fits in L2 next to the tiles, so every row panel reads it from there
            // instead of from the shared L3 (at most 512 KB; at least one group).
            int blockGroups = Math.Clamp(L2InputBytes / (padded * TokenGroup * sizeof(float)), 1, groups);
            for (int firstGroup = 0; firstGroup < groups; firstGroup += blockGroups)
            {
                int endGroup = Math.Min(groups, firstGroup + blockGroups);
                for (int r = first; r < end; r += PanelRows)
                {
                    int rows = Math.Min(PanelRows, end - r);
                    PackWeights(weight, rowStart + r, rows, chunks, rowPointer, tilesPointer);
                    for (int g = firstGroup; g < endGroup; g++)
                    {
                        int t = g * TokenGroup;
                        Multiply(tilesPointer, chunks, inputPointer + ((long)g * padded * TokenGroup), Math.Min(TokenGroup, n - t),
                            y + ((long)t * yStride) + r, yStride, rows);
                    }
                }
            }
        }
    }

    private static float[] Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateArray<float>(Math.Max(length, 4096), pinned: true);
        }

        return buffer;
    }

    /// <summary>packed[g, k, j] = x[g·32 + j, k], zero past the last token and past the last column.</summary>
    private static void PackInput(float* x, int n, int columns, int padded, float* packed)
    {
        int groups = (n + TokenGroup - 1) / TokenGroup;
        new Span<float>(packed, groups * padded * TokenGroup).Clear();
        for (int t = 0; t < n; t++)
        {
            float* source = x + ((long)t * columns);
            float* target = packed + ((long)(t / TokenGroup) * padded * TokenGroup) + (t % TokenGroup);
            for (int k = 0; k < columns; k++)
            {
                target[k * TokenGroup] = source[k];
            }
        }
    }

    /// <summary>tiles[c, i, j] = W[row + i, c·16 + j] for i &lt; rows, zero for the rows past them and past the last column.</summary>
    private static void PackWeights(in WeightMatrix weight, int row, int rows, int chunks, float* values, float* tiles)
    {
        int columns = weight.Columns;
        for (int i = 0; i < PanelRows; i++)
        {
            var destination = new Span<float>(values, chunks * Chunk);
            if (i < rows)
            {
                weight.DequantizeRange(row + i, 0, destination[..columns]);
                destination[columns..].Clear();
            }
            else
            {
                destination.Clear();
            }

            for (int c = 0; c < chunks; c++)
            {
                Vector512.Load(values + (c * Chunk)).Store(tiles + (c * TileFloats) + (i * Chunk));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply(float* tiles, int chunks, float* input, int tokens, float* y, int yStride, int rows)
    {
        // Allocated (and zeroed, a helper call) before the loop: a call while the 24 accumulators are live would make
        // the JIT keep them in memory for the whole loop (vector registers are caller-saved on x64).
        float* sums = stackalloc float[PanelRows * TokenGroup];
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
        Vector512<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
        Vector512<float> a6 = default, b6 = default, a7 = default, b7 = default, a8 = default, b8 = default;
        Vector512<float> a9 = default, b9 = default, a10 = default, b10 = default, a11 = default, b11 = default;
        float* q = input;
        for (int c = 0; c < chunks; c++)
        {
            float* w = tiles + (c * TileFloats);
            for (int k = 0; k < Chunk; k++, w++, q += TokenGroup)
            {
                var low = Vector512.Load(q);
                var high = Vector512.Load(q + 16);
                var v = Vector512.Create(w[0]);
                a0 = Avx512F.FusedMultiplyAdd(v, low, a0); b0 = Avx512F.FusedMultiplyAdd(v, high, b0);
                v = Vector512.Create(w[16]);
                a1 = Avx512F.FusedMultiplyAdd(v, low, a1); b1 = Avx512F.FusedMultiplyAdd(v, high, b1);
                v = Vector512.Create(w[32]);
                a2 = Avx512F.FusedMultiplyAdd(v, low, a2); b2 = Avx512F.FusedMultiplyAdd(v, high, b2);
                v = Vector512.Create(w[48]);
                a3 = Avx512F.FusedMultiplyAdd(v, low, a3); b3 = Avx512F.FusedMultiplyAdd(v, high, b3);
                v = Vector512.Create(w[64]);
                a4 = Avx512F.FusedMultiplyAdd(v, low, a4); b4 = Avx512F.FusedMultiplyAdd(v, high, b4);
                v = Vector512.Create(w[80]);
                a5 = Avx512F.FusedMultiplyAdd(v, low, a5); b5 = Avx512F.FusedMultiplyAdd(v, high, b5);
                v = Vector512.Create(w[96]);
                a6 = Avx512F.FusedMultiplyAdd(v, low, a6); b6 = Avx512F.FusedMultiplyAdd(v, high, b6);
                v = Vector512.Create(w[112]);
                a7 = Avx512F.FusedMultiplyAdd(v, low, a7); b7 = Avx512F.FusedMultiplyAdd(v, high, b7);
                v = Vector512.Create(w[128]);
                a8 = Avx512F.FusedMultiplyAdd(v, low, a8); b8 = Avx512F.FusedMultiplyAdd(v, high, b8);
                v = Vector512.Create(w[144]);
                a9 = Avx512F.FusedMultiplyAdd(v, low, a9); b9 = Avx512F.FusedMultiplyAdd(v, high, b9);
                v = Vector512.Create(w[160]);
                a10 = Avx512F.FusedMultiplyAdd(v, low, a10); b10 = Avx512F.FusedMultiplyAdd(v, high, b10);
                v = Vector512.Create(w[176]);
                a11 = Avx512F.FusedMultiplyAdd(v, low, a11); b11 = Avx512F.FusedMultiplyAdd(v, high, b11);
            }
        }

        // sums[r, t]: row r's results for the 32 tokens, then scattered into y[t, r].
        a0.Store(sums); b0.Store(sums + 16); a1.Store(sums + 32); b1.Store(sums + 48);
        a2.Store(sums + 64); b2.Store(sums + 80); a3.Store(sums + 96); b3.Store(sums + 112);
        a4.Store(sums + 128); b4.Store(sums + 144); a5.Store(sums + 160); b5.Store(sums + 176);
        a6.Store(sums + 192); b6.Store(sums + 208); a7.Store(sums + 224); b7.Store(sums + 240);
        a8.Store(sums + 256); b8.Store(sums + 272); a9.Store(sums + 288); b9.Store(sums + 304);
        a10.Store(sums + 320); b10.Store(sums + 336); a11.Store(sums + 352); b11.Store(sums + 368);
        for (int t = 0; t < tokens; t++)
        {
            float* target = y + ((long)t * yStride);
            for (int r = 0; r < rows; r++)
            {
                target[r] = sums[(r * TokenGroup) + t];
            }
        }
    }
}
