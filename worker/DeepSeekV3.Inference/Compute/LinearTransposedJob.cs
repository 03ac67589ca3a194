using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[h][n, columns] = x[h][n, rowCount] · W[rowStart + h·headRowStride ..) for every head h (one head: h = 0), one task
/// per head and contiguous slice of tokens, so no two tasks write the same output row.
/// </summary>
internal sealed unsafe class LinearTransposedJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x; // [heads, n, rowCount]
    private float* _y; // [heads, n, columns]
    private int _n;
    private int _rowStart;
    private int _rowCount;
    private int _headRowStride;
    private int _slices; // token slices per head

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"LinearTransposed {_rowCount}x{_weight.Columns} {_weight.Format}, {_n} tokens, {Tasks} tasks";

    public void Set(in WeightMatrix weight, float* x, float* y, int n, int rowStart, int rowCount, int tasks) =>
        Set(weight, x, y, n, rowStart, rowCount, heads: 1, headRowStride: 0, slicesPerHead: tasks);

    public void Set(in WeightMatrix weight, float* x, float* y, int n, int rowStart, int rowCount, int heads, int headRowStride,
        int slicesPerHead)
    {
        _weight = weight;
        _x = x;
        _y = y;
        _n = n;
        _rowStart = rowStart;
        _rowCount = rowCount;
        _headRowStride = headRowStride;
        _slices = slicesPerHead;
        Tasks = heads * slicesPerHead;
    }

    public void Execute(int task)
    {
        int columns = _weight.Columns, head = task / _slices, slice = task % _slices;
        int first = (int)((long)_n * slice / _slices);
        int end = (int)((long)_n * (slice + 1) / _slices);
        int rowStart = _rowStart + (head * _headRowStride);
        float* x = _x + ((long)head * _n * _rowCount), y = _y + ((long)head * _n * columns);
        if (FusedTransposedKernel.Supports(_weight))
        {
            FusedTransposedKernel.Compute(_weight, rowStart, _rowCount, x, first, end, y);
            return;
        }

        new Span<float>(y + ((long)first * columns), (end - first) * columns).Clear();
        var row = CpuBackend.RowScratch(columns);
        for (int r = 0; r < _rowCount; r++)
        {
            _weight.DequantizeRow(rowStart + r, row);
            for (int t = first; t < end; t++)
            {
                var target = new Span<float>(y + ((long)t * columns), columns);
                TensorPrimitives.MultiplyAdd(row, x[((long)t * _rowCount) + r], target, target);
            }
        }
    }
}
