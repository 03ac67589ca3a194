namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[n, rowCount] = x[n, columns] · W[rowStart..)ᵀ, one task per contiguous slice of 4-row panels
/// (<see cref="LinearRows"/> does the work), so a step streams the weights once.
/// </summary>
internal sealed unsafe class LinearJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x; // [n, columns]
    private float* _y; // [n, rowCount]
    private int _n;
    private int _rowStart;
    private int _rowCount;
    private int _unit; // rows per panel of the kernel that runs: slices are cut on multiples of it

    public int Tasks { get; private set; }

    public void Set(in WeightMatrix weight, float* x, float* y, int n, int rowStart, int rowCount, int tasks)
    {
        _weight = weight;
        _x = x;
        _y = y;
        _n = n;
        _rowStart = rowStart;
        _rowCount = rowCount;
        _unit = LinearRows.RowGranularity(weight, n);
        Tasks = Math.Max(1, Math.Min(tasks, rowCount / _unit));
    }

    public void Execute(int task)
    {
        int panels = (_rowCount + _unit - 1) / _unit;
        int first = (int)((long)panels * task / Tasks) * _unit;
        int end = Math.Min(_rowCount, (int)((long)panels * (task + 1) / Tasks) * _unit);
        LinearRows.Compute(_weight, _x, _n, _y, _rowCount, _rowStart, first, end);
    }
}
