using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The cheap per-element and per-row ops of a step (RMSNorm, residual add, SwiGLU, the MoE gather and combine, strided
/// row copies, the embedding lookup) split
/// across the pool when a step is prefill-sized. Each is a few passes over memory, but run on the calling thread they
/// left the other cores idle for a fifth to a third of a prefill (perf, 2026-12-06); in decode-sized steps they are a
/// few microseconds and stay on the caller (<see cref="IsWorthSplitting"/>).
/// One job object per backend; its fields are set before each run, so a run allocates nothing.
/// </summary>
internal sealed unsafe class ElementwiseJob : IParallelJob
{
    /// <summary>Below this many floats touched an op runs on the calling thread: a hand-out would cost more.</summary>
    public const long MinFloatsToSplit = 32 * 1024;

    // Flat ranges are cut on whole cache lines so two threads never write the same line.
    private const int FloatsPerLine = 16;

    private Operation _operation;
    private float* _a;
    private float* _b;
    private float* _c;
    private int* _indices;
    private int _items;     // rows (row ops) or floats (flat ops)
    private int _rowLength;
    private int _perItem;   // row ops: routed slots per token (combine)
    private float _epsilon;
    private int _sourceStride; // row copies
    private int _targetStride;
    private WeightMatrix _table; // embedding lookups
    private float* _shared;      // the MoE combine's shared-expert rows, or null: accumulate into the output instead

    private enum Operation
    {
        Add,
        SiluMultiply,
        RmsNorm,
        GatherRows,
        AddWeightedRows,
        CopyRows,
        EmbeddingRows,
    }

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"{_operation} {_items}x{_rowLength}, {Tasks} tasks";

    public static bool IsWorthSplitting(long floats, int threads) => threads > 1 && floats >= MinFloatsToSplit;

    /// <summary>accumulator[i] += x[i] for i &lt; count.</summary>
    public void SetAdd(float* accumulator, float* x, int count, int tasks) => SetFlat(Operation.Add, accumulator, x, count, tasks);

    /// <summary>gate[i] = silu(gate[i]) · up[i] for i &lt; count.</summary>
    public void SetSiluMultiply(float* gate, float* up, int count, int tasks) => SetFlat(Operation.SiluMultiply, gate, up, count, tasks);

    /// <summary>y[t] = x[t] · rsqrt(mean(x[t]²) + eps) · weight for t &lt; n.</summary>
    public void SetRmsNorm(float* x, int n, float* weight, int d, float epsilon, float* y, int tasks)
    {
        SetRows(Operation.RmsNorm, n, d, tasks);
        _a = x;
        _b = weight;
        _c = y;
        _epsilon = epsilon;
    }

    /// <summary>target[i] = source[rows[i]] for i &lt; count, rows of <paramref name="rowLength"/>.</summary>
    public void SetGatherRows(float* source, int* rows, int count, int rowLength, float* target, int tasks)
    {
        SetRows(Operation.GatherRows, count, rowLength, tasks);
        _a = source;
        _indices = rows;
        _c = target;
    }

    /// <summary>target[i · targetStride ..][..length] = source[i · sourceStride ..][..length] for i &lt; rows.</summary>
    public void SetCopyRows(float* source, int sourceStride, float* target, int targetStride, int rows, int length, int tasks)
    {
        SetRows(Operation.CopyRows, rows, length, tasks);
        _a = source;
        _c = target;
        _sourceStride = sourceStride;
        _targetStride = targetStride;
    }

    /// <summary>target[i] = table[tokens[i]] as float32 for i &lt; count (the ids already checked).</summary>
    public void SetEmbeddingRows(in WeightMatrix table, int* tokens, int count, float* target, int tasks)
    {
        SetRows(Operation.EmbeddingRows, count, table.Columns, tasks);
        _table = table;
        _indices = tokens;
        _c = target;
    }

    /// <summary>
    /// output[t] += Σ_j weights[p] · rows[p] (p = positions[t · perToken + j], skipping p &lt; 0), or with
    /// <paramref name="shared"/> given, output[t] = that sum (from zero) + shared[t] (the MoE combine in one pass).
    /// </summary>
    public void SetAddWeightedRows(float* output, int n, int perToken, float* rows, int* positions, float* weights,
        int rowLength, float* shared, int tasks)
    {
        SetRows(Operation.AddWeightedRows, n, rowLength, tasks);
        _c = output;
        _shared = shared;
        _perItem = perToken;
        _a = rows;
        _indices = positions;
        _b = weights;
    }

    public void Execute(int task)
    {
        bool flat = _operation is Operation.Add or Operation.SiluMultiply;
        int unit = flat ? FloatsPerLine : 1;
        int units = (_items + unit - 1) / unit;
        int first = (int)((long)units * task / Tasks) * unit;
        int end = Math.Min(_items, (int)((long)units * (task + 1) / Tasks) * unit);
        if (first >= end)
        {
            return;
        }

        switch (_operation)
        {
            case Operation.Add:
                TensorPrimitives.Add(Span(_a, first, end), Span(_b, first, end), Span(_a, first, end));
                break;
            case Operation.SiluMultiply:
                SiluMultiply(Span(_a, first, end), Span(_b, first, end));
                break;
            case Operation.RmsNorm:
                RmsNorm(first, end);
                break;
            case Operation.GatherRows:
                for (int i = first; i < end; i++)
                {
                    new ReadOnlySpan<float>(_a + ((long)_indices[i] * _rowLength), _rowLength)
                        .CopyTo(new Span<float>(_c + ((long)i * _rowLength), _rowLength));
                }

                break;
            case Operation.AddWeightedRows:
                AddWeightedRows(first, end);
                break;
            case Operation.EmbeddingRows:
                for (int i = first; i < end; i++)
                {
                    _table.DequantizeRow(_indices[i], new Span<float>(_c + ((long)i * _rowLength), _rowLength));
                }

                break;
            case Operation.CopyRows:
                for (int i = first; i < end; i++)
                {
                    new ReadOnlySpan<float>(_a + ((long)i * _sourceStride), _rowLength)
                        .CopyTo(new Span<float>(_c + ((long)i * _targetStride), _rowLength));
                }

                break;
        }
    }

    /// <summary>silu(g) · u = g · sigmoid(g) · u, in L1-sized chunks through the thread's scratch.</summary>
    public static void SiluMultiply(Span<float> gate, ReadOnlySpan<float> up)
    {
        const int Chunk = 4096;
        var sigmoid = CpuBackend.RowScratch(Math.Min(Chunk, gate.Length));
        for (int start = 0; start < gate.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, gate.Length - start);
            var g = gate.Slice(start, count);
            var s = sigmoid[..count];
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, g);
            TensorPrimitives.Multiply(g, up.Slice(start, count), g);
        }
    }

    /// <summary>One row of F.rms_norm: y = x · rsqrt(mean(x²) + eps) · weight.</summary>
    public static void RmsNormRow(ReadOnlySpan<float> row, ReadOnlySpan<float> weight, float epsilon, Span<float> target)
    {
        float meanSquare = TensorPrimitives.Dot(row, row) / row.Length;
        float inverseRms = 1f / MathF.Sqrt(meanSquare + epsilon);
        TensorPrimitives.Multiply(row, inverseRms, target);
        TensorPrimitives.Multiply(target, weight, target);
    }

    private void RmsNorm(int first, int end)
    {
        var weight = new ReadOnlySpan<float>(_b, _rowLength);
        for (int t = first; t < end; t++)
        {
            RmsNormRow(new ReadOnlySpan<float>(_a + ((long)t * _rowLength), _rowLength), weight, _epsilon,
                new Span<float>(_c + ((long)t * _rowLength), _rowLength));
        }
    }

    private void AddWeightedRows(int first, int end)
    {
        for (int t = first; t < end; t++)
        {
            var target = new Span<float>(_c + ((long)t * _rowLength), _rowLength);
            bool assign = _shared != null; // the combine starts from zero: its first term is written, not added to 0
            for (int j = 0; j < _perItem; j++)
            {
                int position = _indices[(t * _perItem) + j];
                if (position < 0)
                {
                    continue;
                }

                var row = new ReadOnlySpan<float>(_a + ((long)position * _rowLength), _rowLength);
                if (assign)
                {
                    // 0 + w · r rounds like w · r, so this equals clearing first and adding.
                    TensorPrimitives.Multiply(row, _b[position], target);
                    assign = false;
                }
                else
                {
                    TensorPrimitives.MultiplyAdd(row, _b[position], target, target);
                }
            }

            if (_shared != null)
            {
                if (assign)
                {
                    target.Clear(); // no routed term
                }

                TensorPrimitives.Add(target, new ReadOnlySpan<float>(_shared + ((long)t * _rowLength), _rowLength), target);
            }
        }
    }

    private void SetFlat(Operation operation, float* a, float* b, int count, int tasks)
    {
        (_operation, _items, _rowLength) = (operation, count, 1);
        _a = a;
        _b = b;
        Tasks = Math.Clamp(tasks, 1, Math.Max(1, count / FloatsPerLine));
    }

    private void SetRows(Operation operation, int rows, int rowLength, int tasks)
    {
        (_operation, _items, _rowLength) = (operation, rows, rowLength);
        Tasks = Math.Clamp(tasks, 1, Math.Max(1, rows));
    }

    private static Span<float> Span(float* start, int first, int end) => new(start + first, end - first);
}
