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

    public int Tasks { get; private set; }

    public void Set(in WeightMatrix weight, float* x, float* y, int n, int rowStart, int rowCount, int tasks)
    {
        _weight = weight;
        _x = x;
        _y = y;
        _n = n;
        _rowStart = rowStart;
        _rowCount = rowCount;
        Tasks = Math.Max(1, Math.Min(tasks, rowCount / LinearKernel.PanelRows));
    }

    public void Execute(int task)
    {
        int panels = (_rowCount + LinearKernel.PanelRows - 1) / LinearKernel.PanelRows;
        int first = (int)((long)panels * task / Tasks) * LinearKernel.PanelRows;
        int end = Math.Min(_rowCount, (int)((long)panels * (task + 1) / Tasks) * LinearKernel.PanelRows);
        LinearRows.Compute(_weight, _x, _n, _y, _rowCount, _rowStart, first, end);
    }
}
