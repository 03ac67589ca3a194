using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The CPU backend: TensorPrimitives (AVX2/AVX-512 where present) inside, <see cref="Parallel"/> across cores.
/// Weight-reading kernels dequantize each weight row once per call and apply it to every token of the step, so a
/// batch of n tokens reads the weights once, not n times. <see cref="NaiveKernels"/> holds the reference of each op.
/// One op runs at a time (the engine's step thread drives a backend); ops allocate nothing.
/// </summary>
public sealed unsafe class CpuBackend : IComputeBackend, IDisposable
{
    // Below this many multiply-adds a call runs on the calling thread: scheduling would cost more than it saves.
    private const long MinWorkPerTask = 32 * 1024;

    [ThreadStatic]
    private static float[]? t_rowScratch;

    private readonly WorkerPool _pool;
    private readonly LinearJob _linear = new();
    private readonly LinearTransposedJob _linearTransposed = new();
    private readonly AbsorbHeadsJob _absorbHeads = new();
    private readonly AttentionRowsJob _attentionRows = new();
    private readonly GroupedLinearJob _grouped = new();
    private readonly PackInputJob _packInput = new();
    private float[]? _packedInput; // x of prefill-sized products, transposed once for all their row slices
    private float[] _transposed = GC.AllocateUninitializedArray<float>(1, pinned: true); // pinned: kernels hold its address

    // From this many tokens on, transposing a weight slice once beats accumulating outer products per token.
    private const int TransposeFromTokens = 16;

    // Up to this many tokens, all heads' transposed products run as one dispatch of the fused kernel.
    private const int GroupedTransposedTokens = 16;
    private readonly LatentAttentionJob _attention = new();
    private readonly ElementwiseJob _elementwise = new();

    /// <summary>A backend using <paramref name="threads"/> threads (default: every core), the caller included.</summary>
    public CpuBackend(int? threads = null)
    {
        _pool = new WorkerPool(threads ?? Environment.ProcessorCount);
        // The decode kernels are compiled fully optimized on their first call, and the JIT folds WeightPrefetch.Enabled to
        // a constant only if the class is initialized by then; otherwise every loop step tests it through a static-base
        // lookup. Batch 1 no longer initializes it first, and batch-16 decode fell from 605 to 396 tokens/s (2026-12-06).
        RuntimeHelpers.RunClassConstructor(typeof(WeightPrefetch).TypeHandle);
    }

    public int Threads => _pool.Threads;

    /// <summary>Whether the batch-1 kernels request their weight streams ahead in software on this machine (WeightPrefetch).</summary>
    public static bool StreamPrefetch => WeightPrefetch.StreamEnabled;

    /// <summary>Whether batch-1 rows of 4096+ columns (FP8 and BF16) are requested ahead into L2 on this machine (WeightPrefetch).</summary>
    public static bool WideRowPrefetch => WeightPrefetch.WideRowsIntoL2;

    /// <summary>Whether the multi-token decode kernels ask for their next panel into L2, not L1, on this machine (WeightPrefetch).</summary>
    public static bool PanelPrefetchIntoL2 => WeightPrefetch.PanelsIntoL2;

    /// <summary>Times every run of the backend's pool into this profile while set (<see cref="WorkerPool.Profile"/>).</summary>
    public PoolProfile? PoolProfile
    {
        get => _pool.Profile;
        set => _pool.Profile = value;
    }

    public void Linear(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int rowStart, int rowCount, Span<float> y)
    {
        CheckLength(x, (long)n * weight.Columns, nameof(x));
        CheckLength(y, (long)n * rowCount, nameof(y));
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            var job = _linear;
            job.Set(weight, xPointer, yPointer, n, rowStart, rowCount, n == 1 ? OneTokenTasks(weight, rowCount) : Tasks(rowCount, (long)n * weight.Columns), _pool.Threads);
            _packInput.Clear();
            if (job.RepacksInput && _packInput.Add(xPointer, n, weight.Columns) == 0)
            {
                job.UsePackedInput(PackPlannedInputs());
            }

            _pool.Run(job, job.Tasks);
        }
    }

    public void LinearGroup(ReadOnlySpan<LinearProduct> products)
    {
        var job = _grouped;
        _packInput.Clear();
        job.Set(products, _packInput, _pool.Threads);
        if (_packInput.Tasks > 0)
        {
            job.UsePackedInput(PackPlannedInputs());
        }

        _pool.Run(job, job.Tasks);
    }

    public void LinearTransposed(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int rowStart, int rowCount,
        Span<float> y)
    {
        CheckLength(x, (long)n * rowCount, nameof(x));
        CheckLength(y, (long)n * weight.Columns, nameof(y));
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            if (n >= TransposeFromTokens)
            {
                // Many tokens: transpose the slice once into [Columns, rowCount] and run the tiled x · Wᵀ kernel on it.
                var transposed = Transpose(weight, rowStart, rowCount);
                var linear = _linear;
                linear.Set(transposed, xPointer, yPointer, n, 0, weight.Columns, Tasks(weight.Columns, (long)n * rowCount), _pool.Threads);
                _pool.Run(linear, linear.Tasks);
                return;
            }

            var job = _linearTransposed;
            job.Set(weight, xPointer, yPointer, n, rowStart, rowCount, Tasks(n, (long)rowCount * weight.Columns));
            _pool.Run(job, job.Tasks);
        }
    }

    public void LinearTransposedHeads(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int heads, int headRowStride, int rowCount,
        Span<float> y)
    {
        int columns = weight.Columns;
        CheckLength(x, (long)heads * n * rowCount, nameof(x));
        CheckLength(y, (long)heads * n * columns, nameof(y));
        // Every step the model sends here (up to Mla.GroupedHeadTokens = 16 tokens) takes the one grouped dispatch below:
        // at 16 tokens, transposing each head's slice on the calling thread and waking the pool once per head cost
        // 8 × 14 µs per layer (batch-16 decode BF16 +11 %, a 16-token prefill FP8 +13 % in 5 alternating rounds).
        if (n > GroupedTransposedTokens)
        {
            for (int h = 0; h < heads; h++)
            {
                LinearTransposed(x.Slice(h * n * rowCount, n * rowCount), n, weight, h * headRowStride, rowCount,
                    y.Slice(h * n * columns, n * columns));
            }

            return;
        }

        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            // Decode-sized: every head's few tokens are one task (one head's rows are a few KB), all heads one dispatch.
            var job = _linearTransposed;
            job.Set(weight, xPointer, yPointer, n, 0, rowCount, heads, headRowStride, slicesPerHead: 1);
            _pool.Run(job, job.Tasks);
        }
    }

    public void AbsorbHeads(ReadOnlySpan<float> x, int xRowStride, int xHeadStride, int n, in WeightMatrix weight, int heads,
        int headRowStride, int rowCount, Span<float> y, int yRowStride) =>
        RunHeads(x, xRowStride, xHeadStride, n, weight, heads, headRowStride, 0, rowCount, transposed: false, y, yRowStride);

    public void ApplyHeads(ReadOnlySpan<float> x, int xRowStride, int xHeadStride, int n, in WeightMatrix weight, int heads,
        int headRowStride, int rowStart, int rowCount, Span<float> y, int yRowStride) =>
        RunHeads(x, xRowStride, xHeadStride, n, weight, heads, headRowStride, rowStart, rowCount, transposed: true, y, yRowStride);

    /// <summary>
    /// Every head's slice (rows h·headRowStride + rowStart .., rowCount of them) applied to its part of x, as stored or
    /// transposed (<see cref="AbsorbHeadsJob"/>); the slice's inner size (x's per-head length) and outer size (y's).
    /// </summary>
    private void RunHeads(ReadOnlySpan<float> x, int xRowStride, int xHeadStride, int n, in WeightMatrix weight, int heads, int headRowStride,
        int rowStart, int rowCount, bool transposed, Span<float> y, int yRowStride)
    {
        int inner = transposed ? weight.Columns : rowCount, outer = transposed ? rowCount : weight.Columns;
        if (n < 1 || heads < 1 || rowCount < 1 || rowStart < 0 || xHeadStride < inner || xRowStride < ((heads - 1) * (long)xHeadStride) + inner
            || yRowStride < (long)heads * outer || ((heads - 1) * (long)headRowStride) + rowStart + rowCount > weight.Rows)
        {
            throw new ArgumentException($"{heads} heads of {rowCount} rows from {rowStart} every {headRowStride} ({weight.Rows}x{weight.Columns}), x strides {xRowStride}/{xHeadStride}, y stride {yRowStride}, {n} tokens do not fit");
        }

        CheckLength(x, ((n - 1) * (long)xRowStride) + ((heads - 1) * (long)xHeadStride) + inner, nameof(x));
        CheckLength(y, ((n - 1) * (long)yRowStride) + ((long)heads * outer), nameof(y));
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            // Each task dequantizes its head's slice once: slices of tokens per head only when there are few heads, enough
            // tasks to balance the threads.
            var job = _absorbHeads;
            int slices = Math.Clamp(((4 * _pool.Threads) + heads - 1) / heads, 1, Math.Max(1, n / 16));
            job.Set(weight, xPointer, xRowStride, xHeadStride, n, heads, headRowStride, rowStart, rowCount, transposed, yPointer, yRowStride,
                slices);
            _pool.Run(job, job.Tasks);
        }
    }

    public void Embedding(in WeightMatrix table, ReadOnlySpan<int> tokens, Span<float> y)
    {
        int columns = table.Columns;
        CheckLength(y, (long)tokens.Length * columns, nameof(y));
        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)table.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), token, $"token id outside the vocabulary [0, {table.Rows})");
            }
        }

        // A prompt's rows are scattered through the table (cache misses each) and spent 1 % of a prefill on the caller.
        fixed (int* tokenPointer = tokens)
        fixed (float* target = y)
        {
            _elementwise.SetEmbeddingRows(table, tokenPointer, tokens.Length, target,
                ElementwiseJob.IsWorthSplitting((long)tokens.Length * columns, Threads) ? ElementwiseTasks : 1);
            _pool.Run(_elementwise, _elementwise.Tasks);
        }
    }

    public void RmsNorm(ReadOnlySpan<float> x, int n, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int d = weight.Length;
        CheckLength(x, (long)n * d, nameof(x));
        CheckLength(y, (long)n * d, nameof(y));
        if (ElementwiseJob.IsWorthSplitting((long)n * d, Threads))
        {
            fixed (float* xPointer = x)
            fixed (float* weightPointer = weight)
            fixed (float* yPointer = y)
            {
                _elementwise.SetRmsNorm(xPointer, n, weightPointer, d, eps, yPointer, ElementwiseTasks);
                _pool.Run(_elementwise, _elementwise.Tasks);
            }

            return;
        }

        for (int t = 0; t < n; t++)
        {
            ElementwiseJob.RmsNormRow(x.Slice(t * d, d), weight, eps, y.Slice(t * d, d));
        }
    }

    public void Add(Span<float> accumulator, ReadOnlySpan<float> x)
    {
        CheckLength(x, accumulator.Length, nameof(x));
        if (!ElementwiseJob.IsWorthSplitting(accumulator.Length, Threads))
        {
            TensorPrimitives.Add(accumulator, x[..accumulator.Length], accumulator);
            return;
        }

        fixed (float* accumulatorPointer = accumulator)
        fixed (float* xPointer = x)
        {
            _elementwise.SetAdd(accumulatorPointer, xPointer, accumulator.Length, ElementwiseTasks);
            _pool.Run(_elementwise, _elementwise.Tasks);
        }
    }

    public void MultiplyAdd(Span<float> accumulator, ReadOnlySpan<float> x, float scale) =>
        TensorPrimitives.MultiplyAdd(x, scale, accumulator, accumulator);

    public void SiluMultiply(Span<float> gate, ReadOnlySpan<float> up)
    {
        CheckLength(up, gate.Length, nameof(up));
        if (!ElementwiseJob.IsWorthSplitting(gate.Length, Threads))
        {
            ElementwiseJob.SiluMultiply(gate, up);
            return;
        }

        fixed (float* gatePointer = gate)
        fixed (float* upPointer = up)
        {
            _elementwise.SetSiluMultiply(gatePointer, upPointer, gate.Length, ElementwiseTasks);
            _pool.Run(_elementwise, _elementwise.Tasks);
        }
    }

    public void GatherRows(ReadOnlySpan<float> source, int rowLength, ReadOnlySpan<int> rows, Span<float> target)
    {
        CheckLength(target, (long)rows.Length * rowLength, nameof(target));
        long sourceRows = source.Length / Math.Max(1, rowLength);
        foreach (int row in rows)
        {
            if ((uint)row >= (ulong)sourceRows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"row index outside the source's {sourceRows} rows");
            }
        }

        fixed (float* sourcePointer = source)
        fixed (int* rowsPointer = rows)
        fixed (float* targetPointer = target)
        {
            _elementwise.SetGatherRows(sourcePointer, rowsPointer, rows.Length, rowLength, targetPointer,
                ElementwiseJob.IsWorthSplitting((long)rows.Length * rowLength, Threads) ? ElementwiseTasks : 1);
            _pool.Run(_elementwise, _elementwise.Tasks);
        }
    }

    public void CopyRows(ReadOnlySpan<float> source, int sourceStride, Span<float> target, int targetStride, int rows, int length)
    {
        if (rows <= 0 || length <= 0)
        {
            return;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(sourceStride, length);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetStride, length);
        CheckLength(source, ((long)(rows - 1) * sourceStride) + length, nameof(source));
        CheckLength(target, ((long)(rows - 1) * targetStride) + length, nameof(target));
        fixed (float* sourcePointer = source)
        fixed (float* targetPointer = target)
        {
            _elementwise.SetCopyRows(sourcePointer, sourceStride, targetPointer, targetStride, rows, length,
                ElementwiseJob.IsWorthSplitting((long)rows * length, Threads) ? ElementwiseTasks : 1);
            _pool.Run(_elementwise, _elementwise.Tasks);
        }
    }

    public void AddWeightedRows(Span<float> output, int n, int perToken, ReadOnlySpan<float> rows, int rowLength,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> weights) =>
        CombineRows(output, n, perToken, rows, rowLength, positions, weights, shared: default);

    /// <summary><see cref="AddWeightedRows"/> with an empty <paramref name="shared"/>, else <see cref="CombineExperts"/>.</summary>
    private void CombineRows(Span<float> output, int n, int perToken, ReadOnlySpan<float> rows, int rowLength, ReadOnlySpan<int> positions,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> shared)
    {
        CheckLength(output, (long)n * rowLength, nameof(output));
        CheckLength(positions, (long)n * perToken, nameof(positions));
        long rowCount = Math.Min(rows.Length / Math.Max(1, rowLength), weights.Length);
        foreach (int position in positions[..(n * perToken)])
        {
            if (position >= rowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(positions), position, $"row index outside the {rowCount} rows given");
            }
        }

        fixed (float* outputPointer = output)
        fixed (float* rowsPointer = rows)
        fixed (int* positionsPointer = positions)
        fixed (float* weightsPointer = weights)
        fixed (float* sharedPointer = shared)
        {
            _elementwise.SetAddWeightedRows(outputPointer, n, perToken, rowsPointer, positionsPointer, weightsPointer, rowLength,
                shared.IsEmpty ? null : sharedPointer, ElementwiseJob.IsWorthSplitting((long)n * perToken * rowLength, Threads) ? ElementwiseTasks : 1);
            _pool.Run(_elementwise, _elementwise.Tasks);
        }
    }

    public void CombineExperts(Span<float> output, int n, int perToken, ReadOnlySpan<float> rows, int rowLength, ReadOnlySpan<int> positions,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> sharedExperts)
    {
        CheckLength(sharedExperts, (long)n * rowLength, nameof(sharedExperts));
        CombineRows(output, n, perToken, rows, rowLength, positions, weights, sharedExperts);
    }

    public void Sigmoid(Span<float> x) => TensorPrimitives.Sigmoid(x, x);

    public void PrepareAttentionRows(ReadOnlySpan<float> kvLowRank, ReadOnlySpan<float> kvNormWeight, float eps, ReadOnlySpan<float> query,
        int heads, int nope, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, ForwardBatch batch, int layer, Span<float> queryRope)
    {
        var cache = batch.Cache;
        int n = batch.Count, rank = cache.LatentRank, ropeDim = cache.RopeDim;
        CheckLength(kvLowRank, (long)n * (rank + ropeDim), nameof(kvLowRank));
        CheckLength(kvNormWeight, rank, nameof(kvNormWeight));
        CheckLength(query, (long)n * heads * (nope + ropeDim), nameof(query));
        CheckLength(cos, (long)n * (ropeDim / 2), nameof(cos));
        CheckLength(sin, (long)n * (ropeDim / 2), nameof(sin));
        CheckLength(queryRope, (long)n * heads * ropeDim, nameof(queryRope));
        fixed (float* kv = kvLowRank)
        fixed (float* weight = kvNormWeight)
        fixed (float* q = query)
        fixed (float* c = cos)
        fixed (float* s = sin)
        fixed (float* target = queryRope)
        {
            var job = _attentionRows;
            job.Set(batch, layer, kv, weight, eps, q, heads, nope, c, s, target, ElementwiseTasks);
            if (ElementwiseJob.IsWorthSplitting((long)n * (rank + ropeDim + (heads * ropeDim)), Threads))
            {
                _pool.Run(job, job.Tasks);
                return;
            }

            for (int t = 0; t < n; t++)
            {
                job.Prepare(t);
            }
        }
    }

    public void LatentAttention(ReadOnlySpan<float> qLatent, ReadOnlySpan<float> qRope, int heads, ForwardBatch batch,
        int layer, float softmaxScale, Span<float> output)
    {
        var cache = batch.Cache;
        int n = batch.Count;
        CheckLength(qLatent, (long)n * heads * cache.LatentRank, nameof(qLatent));
        CheckLength(qRope, (long)n * heads * cache.RopeDim, nameof(qRope));
        CheckLength(output, (long)n * heads * cache.LatentRank, nameof(output));
        fixed (float* qLatentPointer = qLatent)
        fixed (float* qRopePointer = qRope)
        fixed (float* outputPointer = output)
        {
            var job = _attention;
            job.Set(qLatentPointer, qRopePointer, outputPointer, heads, batch, layer, softmaxScale, _pool.Threads);
            if ((long)n * heads * (batch.MaxPosition + 1) * cache.RowLength < MinWorkPerTask)
            {
                // Too little work to hand to another thread (one token, a short context): run every task here.
                for (int task = 0; task < job.Tasks; task++)
                {
                    job.Execute(task);
                }
            }
            else
            {
                _pool.Run(job, job.Tasks);
            }

            job.Finish();
            job.Clear();
        }
    }

    public void Dispose() => _pool.Dispose();

    /// <summary>
    /// Runs the packing pass planned in <see cref="_packInput"/> into the backend's packed-input buffer and returns it.
    /// The buffer is pinned (it never moves) and only replaced by a later, larger pass, so the pointer stays valid for
    /// the products that follow.
    /// </summary>
    private float* PackPlannedInputs()
    {
        var buffer = AlignedScratch.Get(ref _packedInput, checked((int)_packInput.Floats));
        float* packed = (float*)Unsafe.AsPointer(ref buffer[0]);
        _packInput.SetTarget(packed);
        _pool.Run(_packInput, _packInput.Tasks);
        return packed;
    }

    // Two per thread: equal slices, with a little slack for a thread that starts late.
    private int ElementwiseTasks => _pool.Threads * 2;

    /// <summary>
    /// Slices for one token through <paramref name="rowCount"/> rows of <paramref name="weight"/>: as
    /// <see cref="Tasks"/> allows, but none streaming less than <see cref="MinBytesPerOneTokenTask"/> unless that would
    /// leave a thread idle.
    /// </summary>
    private int OneTokenTasks(in WeightMatrix weight, int rowCount)
    {
        int byWork = Tasks(rowCount, weight.Columns);
        if (byWork <= _pool.Threads)
        {
            return byWork;
        }

        long bytes = weight.StoredBytes * rowCount / weight.Rows;
        return (int)Math.Min(byWork, Math.Max(_pool.Threads, bytes / MinBytesPerOneTokenTask));
    }

    /// <summary>
    /// A batch-1 slice reads its rows as two streams that start cold (<see cref="TwoStreamGemv"/>), and each task
    /// arranges its own x: 8 slices of an attention projection (768 × 384 FP8: 37 KB each) spent more time starting
    /// than streaming. Zen 4, both cores, weights from memory, this rule alternating with 8 slices in one process
    /// (medians of 3-s runs, 3 runs): 768 × 384 FP8 1.17-1.25× as fast, 1024 × 512 FP8 1.11-1.20×, BF16 1.02-1.05×,
    /// 1.5 MB and up 0.97-1.02×; batch-1 decode, steps alternating, 5 runs: FP8 +0.7 to +2.4 %, BF16 -0.1 to +1.7 %.
    /// </summary>
    private const long MinBytesPerOneTokenTask = 256 * 1024;

    /// <summary>
    /// How many tasks to cut <paramref name="count"/> items into: one when the work is too small to share, else a few
    /// per thread so the atomic hand-out balances uneven tasks.
    /// </summary>
    private int Tasks(int count, long workPerItem)
    {
        long totalWork = count * Math.Max(1, workPerItem);
        return (int)Math.Clamp(totalWork / MinWorkPerTask, 1, Math.Min(_pool.Threads * 4L, count));
    }

    /// <summary>W[rowStart..rowStart+rowCount) dequantized and transposed into the pinned buffer, as an F32 weight.</summary>
    private WeightMatrix Transpose(in WeightMatrix weight, int rowStart, int rowCount)
    {
        int columns = weight.Columns;
        if (_transposed.Length < (long)rowCount * columns)
        {
            _transposed = GC.AllocateUninitializedArray<float>(rowCount * columns, pinned: true);
        }

        // Dequantized, then transposed in 16 × 16 register blocks (a value-by-value transpose of a head's slice ran on the
        // calling thread while the pool waited: 1.5 % of a 128-token prefill).
        var rows = RowScratch(rowCount * columns);
        for (int r = 0; r < rowCount; r++)
        {
            weight.DequantizeRow(rowStart + r, rows.Slice(r * columns, columns));
        }

        fixed (float* source = rows)
        {
            PackedGemmKernel.Transpose(source, rowCount, columns, (float*)Unsafe.AsPointer(ref _transposed[0]));
        }

        return new WeightMatrix(WeightFormat.F32, columns, rowCount, Unsafe.AsPointer(ref _transposed[0]));
    }

    /// <summary>The thread's scratch row (64-byte aligned, pinned), contents undefined.</summary>
    internal static Span<float> RowScratch(int length) => AlignedScratch.Get(ref t_rowScratch, length);

    private static void CheckLength<T>(ReadOnlySpan<T> span, long needed, string name)
    {
        if (span.Length < needed)
        {
            throw new ArgumentException($"needs {needed} elements, has {span.Length}", name);
        }
    }
}
