namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Transposes x [n, columns] into the packed kernel's 32-token groups once per call, groups split across the pool, so
/// the row slices of a prefill-sized product share one copy instead of each transposing all of x.
/// </summary>
internal sealed unsafe class PackInputJob : IParallelJob
{
    private float* _x;
    private float* _packed;
    private int _n;
    private int _columns;
    private int _groups;

    public int Tasks { get; private set; }

    public void Set(float* x, int n, int columns, float* packed, int tasks)
    {
        _x = x;
        _n = n;
        _columns = columns;
        _packed = packed;
        _groups = (n + PackedGemmKernel.TokenGroup - 1) / PackedGemmKernel.TokenGroup;
        Tasks = Math.Clamp(tasks, 1, _groups);
    }

    public void Execute(int task)
    {
        int first = (int)((long)_groups * task / Tasks), end = (int)((long)_groups * (task + 1) / Tasks);
        PackedGemmKernel.PackInputGroups(_x, _n, _columns, _packed, first, end);
    }
}
