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

    // Panels decoded once and kept for every token block of a long call: 192 rows (a slice's usual height).
    private const int KeptPanels = MinSliceRows / PanelRows;

    public static bool IsSupported => Avx512F.IsSupported;

    [ThreadStatic]
    private static float[]? t_tiles;

    [ThreadStatic]
    private static float[]? t_input;

    [ThreadStatic]
    private static float[]? t_row;

    /// <summary>y[t, r] (r in [first, end)) = W[rowStart + r] · x[t] for t &lt; n; x [n, columns], y [n, yStride].</summary>
    public static void Compute(in WeightMatrix weight, float* x, int n, float* y, int yStride, int rowStart, int first, int end) =>
        Run(new MatrixPanels(weight, rowStart), weight.Columns, x, n, y, yStride, first, end);

    /// <summary>Floats the panels of <paramref name="rows"/> float32 rows × <paramref name="columns"/> take (<see cref="PackPanels"/>).</summary>
    public static long PackedPanelFloats(int rows, int columns) =>
        (long)((rows + PanelRows - 1) / PanelRows) * ((columns + Chunk - 1) / Chunk) * TileFloats;

    /// <summary>
    /// Packs float32 rows W [rows, columns] (rows <paramref name="rowStride"/> floats apart) into the panel tiles the
    /// kernel multiplies, once, for <see cref="ComputeOnPanels"/> to use in many calls (the attention keys of a prefill,
    /// which every block of tokens multiplies again).
    /// </summary>
    public static void PackPanels(float* w, long rowStride, int rows, int columns, float* panels)
    {
        int chunks = (columns + Chunk - 1) / Chunk;
        long panelFloats = (long)chunks * TileFloats;
        for (int r = 0, p = 0; r < rows; r += PanelRows, p++)
        {
            PackFloatPanel(w + (r * rowStride), rowStride, Math.Min(PanelRows, rows - r), columns, chunks, panels + (p * panelFloats));
        }
    }

    /// <summary>
    /// y[t, r] = W[r, ..columns) · x[t] for r &lt; rows, t &lt; n, W given as panels packed by <see cref="PackPanels"/> with
    /// <paramref name="packedColumns"/> ≥ columns columns (its first columns only: a block of keys sees the first ones) and
    /// at least <paramref name="rows"/> rows; x [n, columns], y [n, yStride].
    /// </summary>
    public static void ComputeOnPanels(float* panels, int packedColumns, int rows, int columns, float* x, int n, float* y, int yStride) =>
        Run(new PackedPanels(panels, (long)((packedColumns + Chunk - 1) / Chunk) * TileFloats), columns, x, n, y, yStride, 0, rows);

    /// <summary>
    /// <see cref="Compute(in WeightMatrix, float*, int, float*, int, int, int, int)"/> on an x already transposed by
    /// <see cref="PackInputGroups"/> (shared by every row slice of a call instead of transposed by each).
    /// </summary>
    public static void ComputePacked(in WeightMatrix weight, float* packed, int n, float* y, int yStride, int rowStart, int first, int end) =>
        Multiply(new MatrixPanels(weight, rowStart), weight.Columns, packed, n, y, yStride, first, end);

    /// <summary>
    /// At most this many floats (1 GiB) of transposed input are shared by the slices of a call; past it each slice
    /// transposes its own part, so a huge step never needs one huge buffer.
    /// </summary>
    public const long MaxSharedInputFloats = 256L * 1024 * 1024;

    /// <summary>Floats the transposed x of <paramref name="n"/> tokens × <paramref name="columns"/> takes.</summary>
    public static long PackedInputFloats(int n, int columns) =>
        (long)((n + TokenGroup - 1) / TokenGroup) * Padded(columns) * TokenGroup;

    /// <summary>Transposes the 32-token groups [firstGroup, endGroup) of x [n, columns] into <paramref name="packed"/>.</summary>
    public static void PackInputGroups(float* x, int n, int columns, float* packed, int firstGroup, int endGroup)
    {
        long groupFloats = (long)Padded(columns) * TokenGroup;
        int firstToken = firstGroup * TokenGroup, endToken = Math.Min(n, endGroup * TokenGroup);
        PackInput(x + ((long)firstToken * columns), endToken - firstToken, columns, Padded(columns), packed + (firstGroup * groupFloats));
    }

    private static int Padded(int columns) => (columns + Chunk - 1) / Chunk * Chunk;

    private static void Run<TPanels>(TPanels panels, int columns, float* x, int n, float* y, int yStride, int first, int end)
        where TPanels : struct, IPanelSource
    {
        int groups = (n + TokenGroup - 1) / TokenGroup;
        fixed (float* inputPointer = AlignedScratch.Get(ref t_input, groups * Padded(columns) * TokenGroup))
        {
            PackInput(x, n, columns, Padded(columns), inputPointer);
            Multiply(panels, columns, inputPointer, n, y, yStride, first, end);
        }
    }

    private static void Multiply<TPanels>(TPanels panels, int columns, float* packed, int n, float* y, int yStride, int first, int end)
        where TPanels : struct, IPanelSource
    {
        int chunks = (columns + Chunk - 1) / Chunk, padded = chunks * Chunk;
        int groups = (n + TokenGroup - 1) / TokenGroup;
        long panelFloats = (long)chunks * TileFloats;
        // Blocks of tokens whose transposed x fits in L2 next to the tiles, so every row panel reads it from there
        // instead of from the shared L3 (at most 512 KB; at least one group).
        int blockGroups = Math.Clamp(L2InputBytes / (padded * TokenGroup * sizeof(float)), 1, groups);
        // With several token blocks, a run of panels is decoded once into tiles and kept (a few MB at most) for every
        // block, instead of decoded again for each: at 1024 tokens that was an eighth of the weights' decoding each time.
        int keptPanels = groups > blockGroups ? KeptPanels : 1;
        float** kept = stackalloc float*[KeptPanels];
        fixed (float* tilesPointer = AlignedScratch.Get(ref t_tiles, (int)(keptPanels * panelFloats)))
        fixed (float* rowPointer = AlignedScratch.Get(ref t_row, padded))
        {
            for (int runFirst = first; runFirst < end; runFirst += keptPanels * PanelRows)
            {
                int runEnd = Math.Min(end, runFirst + (keptPanels * PanelRows));
                if (keptPanels > 1)
                {
                    for (int r = runFirst, p = 0; r < runEnd; r += PanelRows, p++)
                    {
                        kept[p] = panels.Tiles(r, Math.Min(PanelRows, runEnd - r), chunks, rowPointer, tilesPointer + (p * panelFloats));
                    }
                }

                for (int firstGroup = 0; firstGroup < groups; firstGroup += blockGroups)
                {
                    int endGroup = Math.Min(groups, firstGroup + blockGroups);
                    for (int r = runFirst, p = 0; r < runEnd; r += PanelRows, p++)
                    {
                        int rows = Math.Min(PanelRows, runEnd - r);
                        float* tiles = keptPanels == 1 ? panels.Tiles(r, rows, chunks, rowPointer, tilesPointer) : kept[p];

                        for (int g = firstGroup; g < endGroup; g++)
                        {
                            int t = g * TokenGroup;
                            Multiply(tiles, chunks, packed + ((long)g * padded * TokenGroup), Math.Min(TokenGroup, n - t),
                                y + ((long)t * yStride) + r, yStride, rows);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The 16-column tiles of the panel of up to 12 weight rows from <c>row</c> (rows past the panel zero): packed into
    /// <c>scratch</c>, or already packed elsewhere.
    /// </summary>
    private interface IPanelSource
    {
        float* Tiles(int row, int rows, int chunks, float* values, float* scratch);
    }

    private readonly struct MatrixPanels(WeightMatrix weight, int rowStart) : IPanelSource
    {
        public float* Tiles(int row, int rows, int chunks, float* values, float* scratch)
        {
            PackWeights(weight, rowStart + row, rows, chunks, values, scratch);
            return scratch;
        }
    }

    /// <summary>Panels packed once by <see cref="PackPanels"/> for many calls (their first chunks when a call has fewer columns).</summary>
    private readonly struct PackedPanels(float* panels, long panelFloats) : IPanelSource
    {
        public float* Tiles(int row, int rows, int chunks, float* values, float* scratch) => panels + (row / PanelRows * panelFloats);
    }

    /// <summary>
    /// The tiles of one panel of float32 rows (up to 12 rows from <paramref name="w"/>, <paramref name="rowStride"/>
    /// floats apart), rows past the panel and columns past the last zero. Chunk by chunk, as <see cref="PackWeights"/>:
    /// the tiles are written front to back.
    /// </summary>
    private static void PackFloatPanel(float* w, long rowStride, int rows, int columns, int chunks, float* tiles)
    {
        int whole = columns / Chunk;
        for (int c = 0; c < whole; c++)
        {
            float* tile = tiles + (c * TileFloats);
            for (int i = 0; i < rows; i++)
            {
                Vector512.Load(w + (i * rowStride) + (c * Chunk)).Store(tile + (i * Chunk));
            }

            ZeroRowsFrom(rows, tile);
        }

        for (int c = whole; c < chunks; c++)
        {
            // The last partial chunk, zero-padded past the last column and the panel's rows.
            float* tile = tiles + (c * TileFloats);
            int count = columns - (c * Chunk);
            for (int i = 0; i < PanelRows; i++)
            {
                for (int j = 0; j < Chunk; j++)
                {
                    tile[(i * Chunk) + j] = i < rows && j < count ? w[(i * rowStride) + (c * Chunk) + j] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// packed[g, k, j] = x[g·32 + j, k], zero past the last token and past the last column. Whole 16 × 16 blocks are
    /// transposed in registers (<see cref="Transpose16"/>: 64 in-register shuffles for 256 values instead of 256
    /// scattered stores); the edges one value at a time.
    /// </summary>
    private static void PackInput(float* x, int n, int columns, int padded, float* packed)
    {
        ClearPadding(n, columns, padded, packed);
        int wholeTokens = n & ~15, wholeColumns = columns & ~15;
        for (int t = 0; t < wholeTokens; t += 16)
        {
            float* target = packed + ((long)(t / TokenGroup) * padded * TokenGroup) + (t % TokenGroup);
            for (int k = 0; k < wholeColumns; k += 16)
            {
                Transpose16(x + ((long)t * columns) + k, columns, target + ((long)k * TokenGroup), TokenGroup);
            }
        }

        for (int t = 0; t < n; t++)
        {
            float* source = x + ((long)t * columns);
            float* target = packed + ((long)(t / TokenGroup) * padded * TokenGroup) + (t % TokenGroup);
            for (int k = t < wholeTokens ? wholeColumns : 0; k < columns; k++)
            {
                target[k * TokenGroup] = source[k];
            }
        }
    }

    /// <summary>
    /// Zeroes what the copy leaves unwritten: the columns past the last one in every group (stale values there would
    /// reach every sum: a NaN times the zero-padded weights is NaN) and, when the last group is partial, all of it (the
    /// lanes past the last token are never stored, but stale denormals there would cost microcode assists on some
    /// CPUs). Clearing only this, not the whole buffer, saves a pass over it for every slice of a long prefill.
    /// </summary>
    private static void ClearPadding(int n, int columns, int padded, float* packed)
    {
        int groups = (n + TokenGroup - 1) / TokenGroup, wholeGroups = n / TokenGroup;
        long groupFloats = (long)padded * TokenGroup;
        for (int g = 0; g < wholeGroups; g++)
        {
            new Span<float>(packed + (g * groupFloats) + ((long)columns * TokenGroup), (padded - columns) * TokenGroup).Clear();
        }

        if (wholeGroups < groups)
        {
            new Span<float>(packed + (wholeGroups * groupFloats), (int)groupFloats).Clear();
        }
    }

    /// <summary>
    /// target[c · targetStride + r] = source[r · sourceStride + c] for r, c &lt; 16: the standard AVX-512 transpose
    /// (interleave pairs of rows, then pairs of pairs, then 128-bit lanes twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose16(float* source, int sourceStride, float* target, int targetStride)
    {
        var r0 = Vector512.Load(source); var r1 = Vector512.Load(source + sourceStride);
        var r2 = Vector512.Load(source + (2L * sourceStride)); var r3 = Vector512.Load(source + (3L * sourceStride));
        var r4 = Vector512.Load(source + (4L * sourceStride)); var r5 = Vector512.Load(source + (5L * sourceStride));
        var r6 = Vector512.Load(source + (6L * sourceStride)); var r7 = Vector512.Load(source + (7L * sourceStride));
        var r8 = Vector512.Load(source + (8L * sourceStride)); var r9 = Vector512.Load(source + (9L * sourceStride));
        var r10 = Vector512.Load(source + (10L * sourceStride)); var r11 = Vector512.Load(source + (11L * sourceStride));
        var r12 = Vector512.Load(source + (12L * sourceStride)); var r13 = Vector512.Load(source + (13L * sourceStride));
        var r14 = Vector512.Load(source + (14L * sourceStride)); var r15 = Vector512.Load(source + (15L * sourceStride));

        // Pairs of rows: t0 lane L = [r0[4L], r1[4L], r0[4L+1], r1[4L+1]], t1 the same for 4L+2, 4L+3.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        // Pairs of pairs: u0 lane L = column 4L of rows 0-3, u1 column 4L+1, u2 4L+2, u3 4L+3; u4-u7 rows 4-7, ...
        var u0 = Low(t0, t2); var u1 = High(t0, t2); var u2 = Low(t1, t3); var u3 = High(t1, t3);
        var u4 = Low(t4, t6); var u5 = High(t4, t6); var u6 = Low(t5, t7); var u7 = High(t5, t7);
        var u8 = Low(t8, t10); var u9 = High(t8, t10); var u10 = Low(t9, t11); var u11 = High(t9, t11);
        var u12 = Low(t12, t14); var u13 = High(t12, t14); var u14 = Low(t13, t15); var u15 = High(t13, t15);

        // 128-bit lanes: v0 = [col 0 rows 0-3, col 8 rows 0-3, col 0 rows 4-7, col 8 rows 4-7], ...
        var v0 = Avx512F.Shuffle4x128(u0, u4, 0x88); var v1 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        var v2 = Avx512F.Shuffle4x128(u1, u5, 0x88); var v3 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        var v4 = Avx512F.Shuffle4x128(u2, u6, 0x88); var v5 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        var v6 = Avx512F.Shuffle4x128(u3, u7, 0x88); var v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        var v8 = Avx512F.Shuffle4x128(u8, u12, 0x88); var v9 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        var v10 = Avx512F.Shuffle4x128(u9, u13, 0x88); var v11 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        var v12 = Avx512F.Shuffle4x128(u10, u14, 0x88); var v13 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        var v14 = Avx512F.Shuffle4x128(u11, u15, 0x88); var v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        // Whole columns: [rows 0-3 | 4-7 | 8-11 | 12-15].
        Avx512F.Shuffle4x128(v0, v8, 0x88).Store(target);
        Avx512F.Shuffle4x128(v0, v8, 0xDD).Store(target + (8L * targetStride));
        Avx512F.Shuffle4x128(v1, v9, 0x88).Store(target + (4L * targetStride));
        Avx512F.Shuffle4x128(v1, v9, 0xDD).Store(target + (12L * targetStride));
        Avx512F.Shuffle4x128(v2, v10, 0x88).Store(target + (1L * targetStride));
        Avx512F.Shuffle4x128(v2, v10, 0xDD).Store(target + (9L * targetStride));
        Avx512F.Shuffle4x128(v3, v11, 0x88).Store(target + (5L * targetStride));
        Avx512F.Shuffle4x128(v3, v11, 0xDD).Store(target + (13L * targetStride));
        Avx512F.Shuffle4x128(v4, v12, 0x88).Store(target + (2L * targetStride));
        Avx512F.Shuffle4x128(v4, v12, 0xDD).Store(target + (10L * targetStride));
        Avx512F.Shuffle4x128(v5, v13, 0x88).Store(target + (6L * targetStride));
        Avx512F.Shuffle4x128(v5, v13, 0xDD).Store(target + (14L * targetStride));
        Avx512F.Shuffle4x128(v6, v14, 0x88).Store(target + (3L * targetStride));
        Avx512F.Shuffle4x128(v6, v14, 0xDD).Store(target + (11L * targetStride));
        Avx512F.Shuffle4x128(v7, v15, 0x88).Store(target + (7L * targetStride));
        Avx512F.Shuffle4x128(v7, v15, 0xDD).Store(target + (15L * targetStride));
    }

    /// <summary>
    /// target[c · rows + r] = source[r · columns + c] (a [rows, columns] matrix transposed): whole 16 × 16 squares in
    /// registers, the edges value by value.
    /// </summary>
    public static void Transpose(float* source, int rows, int columns, float* target)
    {
        int wholeRows = IsSupported ? rows & ~15 : 0, wholeColumns = columns & ~15;
        for (int r = 0; r < wholeRows; r += 16)
        {
            for (int c = 0; c < wholeColumns; c += 16)
            {
                Transpose16(source + ((long)r * columns) + c, columns, target + ((long)c * rows) + r, rows);
            }
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = r < wholeRows ? wholeColumns : 0; c < columns; c++)
            {
                target[((long)c * rows) + r] = source[((long)r * columns) + c];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Low(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> High(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>
    /// tiles[c, i, j] = W[row + i, c·16 + j] for i &lt; rows, zero for the rows past them and past the last column.
    /// BF16 and FP8 whole chunks are decoded straight into their tiles with the decode kernels' conversions (FP8: the
    /// 2^-120-offset code times 2^120, exact, then times the block scale: the reference's code · scale), chunk by chunk
    /// so the tiles are written front to back (row by row, each store went to another line of the 48 KB of tiles and
    /// packing ran at about one weight per cycle); the rest through <see cref="WeightMatrix.DequantizeRange"/>.
    /// </summary>
    private static void PackWeights(in WeightMatrix weight, int row, int rows, int chunks, float* values, float* tiles)
    {
        int columns = weight.Columns, whole = columns / Chunk, done = 0;
        if (weight.Format == WeightFormat.BF16)
        {
            for (int c = 0; c < whole; c++)
            {
                if ((c & 1) == 0)
                {
                    PrefetchNextPanel(weight.Data + ((long)(row + PanelRows) * columns * 2) + (c * Chunk * 2), columns * 2L);
                }

                float* tile = tiles + (c * TileFloats);
                ushort* codes = (ushort*)weight.Data + ((long)row * columns) + (c * Chunk);
                for (int i = 0; i < rows; i++, codes += columns)
                {
                    Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(codes)), 16).AsSingle().Store(tile + (i * Chunk));
                }

                ZeroRowsFrom(rows, tile);
            }

            done = whole;
        }
        else if (weight.Format == WeightFormat.F8E4M3Blocked && weight.BlockColumns % Chunk == 0)
        {
            // Each row's scale row (a panel may straddle a block boundary), looked up once.
            float** scaleRows = stackalloc float*[PanelRows];
            for (int i = 0; i < rows; i++)
            {
                scaleRows[i] = weight.ScaleRow(row + i);
            }

            var unbias = Vector512.Create(Fp8Decoder.InputScale * Fp8Decoder.OutputScale); // 2^120
            int chunksPerBlock = weight.BlockColumns / Chunk;
            for (int c = 0, block = 0, blockEnd = chunksPerBlock; c < whole; c++)
            {
                if (c == blockEnd)
                {
                    block++;
                    blockEnd += chunksPerBlock;
                }

                if ((c & 3) == 0)
                {
                    PrefetchNextPanel(weight.Data + ((long)(row + PanelRows) * columns) + (c * Chunk), columns);
                }

                float* tile = tiles + (c * TileFloats);
                byte* codes = weight.Data + ((long)row * columns) + (c * Chunk);
                for (int i = 0; i < rows; i++, codes += columns)
                {
                    (Fp8Decoder.Load16(codes) * unbias * Vector512.Create(scaleRows[i][block])).Store(tile + (i * Chunk));
                }

                ZeroRowsFrom(rows, tile);
            }

            done = whole;
        }

        for (int i = 0; i < PanelRows && done < chunks; i++)
        {
            // The last partial chunk (or every chunk of other formats): dequantize, zero-pad, copy into tiles.
            float* tile = tiles + (i * Chunk);
            if (i >= rows)
            {
                for (int c = done; c < chunks; c++)
                {
                    Vector512<float>.Zero.Store(tile + (c * TileFloats));
                }

                continue;
            }

            int start = done * Chunk;
            var destination = new Span<float>(values, (chunks - done) * Chunk);
            weight.DequantizeRange(row + i, start, destination[..(columns - start)]);
            destination[(columns - start)..].Clear();
            for (int c = done; c < chunks; c++)
            {
                Vector512.Load(values + ((c - done) * Chunk)).Store(tile + (c * TileFloats));
            }
        }
    }

    /// <summary>
    /// Requests one cache line of each of the next panel's 12 rows at <paramref name="at"/> (the same column offset as the
    /// chunk being decoded), a line per row every 64 bytes of codes: a panel reads its rows as 12 short streams at once,
    /// more than the hardware prefetcher follows, and the first panel of a cold expert waited on memory. Past the
    /// matrix's last row the requests touch a neighbour's memory or none: prefetches never fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchNextPanel(byte* at, long rowBytes)
    {
        for (int i = 0; i < PanelRows; i++)
        {
            WeightPrefetch.Lines(at + (i * rowBytes), 1);
        }
    }

    /// <summary>Zeroes the rows of a tile from <paramref name="rows"/> on (a panel's last, partial one).</summary>
    private static void ZeroRowsFrom(int rows, float* tile)
    {
        for (int i = rows; i < PanelRows; i++)
        {
            Vector512<float>.Zero.Store(tile + (i * Chunk));
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
