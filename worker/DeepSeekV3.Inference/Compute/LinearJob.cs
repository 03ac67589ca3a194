using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[n, rowCount] = x[n, columns] · W[rowStart..)ᵀ, one task per contiguous slice of output rows: each weight row is
/// dequantized once and applied to all n tokens, so the step streams the weights once.
/// </summary>
internal sealed unsafe class LinearJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x; // [n, columns]
    private float* _y; // [n, rowCount]
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
        int first = (int)((long)_rowCount * task / Tasks);
        int end = (int)((long)_rowCount * (task + 1) / Tasks);
        var row = CpuBackend.RowScratch(columns);
        for (int r = first; r < end; r++)
        {
            _weight.DequantizeRow(_rowStart + r, row);
            for (int t = 0; t < _n; t++)
            {
                _y[((long)t * _rowCount) + r] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(_x + ((long)t * columns), columns));
            }
        }
    }
}
