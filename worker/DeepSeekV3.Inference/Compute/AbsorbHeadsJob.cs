using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[t, h, ·] = Σ_r x[t, h, r] · W[h·headRowStride + r, ·] for every head h of a prefill-sized step (the absorbed
/// q · W_UK), x and y read and written in place inside their [tokens, heads, ·] buffers. One task per head and slice of
/// tokens; each task dequantizes its head's rows once (rowCount × columns floats, in the thread's scratch) and runs
/// <see cref="WeightedRowsKernel"/> over its tokens.
/// </summary>
internal sealed unsafe class AbsorbHeadsJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x;
    private float* _y;
    private int _xRowStride;
    private int _xHeadStride;
    private int _yRowStride;
    private int _n;
    private int _headRowStride;
    private int _rowCount;
    private int _slices; // token slices per head

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"AbsorbHeads {_rowCount}x{_weight.Columns} {_weight.Format}, {_n} tokens, {Tasks} tasks";

    public void Set(in WeightMatrix weight, float* x, int xRowStride, int xHeadStride, int n, int heads, int headRowStride, int rowCount,
        float* y, int yRowStride, int slicesPerHead)
    {
        _weight = weight;
        _x = x;
        _y = y;
        _xRowStride = xRowStride;
        _xHeadStride = xHeadStride;
        _yRowStride = yRowStride;
        _n = n;
        _headRowStride = headRowStride;
        _rowCount = rowCount;
        _slices = slicesPerHead;
        Tasks = heads * slicesPerHead;
    }

    public void Execute(int task)
    {
        int columns = _weight.Columns, head = task / _slices, slice = task % _slices;
        int first = (int)((long)_n * slice / _slices), end = (int)((long)_n * (slice + 1) / _slices);
        float* x = _x + ((long)head * _xHeadStride), y = _y + ((long)head * columns);
        var rows = CpuBackend.RowScratch(_rowCount * columns);
        for (int r = 0; r < _rowCount; r++)
        {
            _weight.DequantizeRow((head * _headRowStride) + r, rows.Slice(r * columns, columns));
        }

        fixed (float* w = rows)
        {
            if (WeightedRowsKernel.IsSupported)
            {
                WeightedRowsKernel.Compute(w, _rowCount, columns, x, _xRowStride, first, end, y, _yRowStride);
                return;
            }

            for (int t = first; t < end; t++)
            {
                var target = new Span<float>(y + ((long)t * _yRowStride), columns);
                target.Clear();
                for (int r = 0; r < _rowCount; r++)
                {
                    TensorPrimitives.MultiplyAdd(rows.Slice(r * columns, columns), x[((long)t * _xRowStride) + r], target, target);
                }
            }
        }
    }
}
