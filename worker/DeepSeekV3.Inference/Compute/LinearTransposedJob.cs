using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[n, columns] = x[n, rowCount] · W[rowStart..), one task per contiguous slice of tokens, so no two tasks write
/// the same output row.
/// </summary>
internal sealed unsafe class LinearTransposedJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x; // [n, rowCount]
    private float* _y; // [n, columns]
    private int _n;
    private int _rowStart;
    private int _rowCount;

    public int Tasks { get; private set; }

    public void Set(in WeightMatrix weight, float* x, float* y, int n, int rowStart, int rowCount, int tasks)
    {
        _weight = weight;
        _x = x;
        _y = y;
        _n = n;
        _rowStart = rowStart;
        _rowCount = rowCount;
        Tasks = tasks;
    }

    public void Execute(int task)
    {
        int columns = _weight.Columns;
        int first = (int)((long)_n * task / Tasks);
        int end = (int)((long)_n * (task + 1) / Tasks);
        if (FusedTransposedKernel.Supports(_weight))
        {
            FusedTransposedKernel.Compute(_weight, _rowStart, _rowCount, _x, first, end, _y);
            return;
        }

        new Span<float>(_y + ((long)first * columns), (end - first) * columns).Clear();
        var row = CpuBackend.RowScratch(columns);
        for (int r = 0; r < _rowCount; r++)
        {
            _weight.DequantizeRow(_rowStart + r, row);
            for (int t = first; t < end; t++)
            {
                var target = new Span<float>(_y + ((long)t * columns), columns);
                TensorPrimitives.MultiplyAdd(row, _x[((long)t * _rowCount) + r], target, target);
            }
        }
    }
}
