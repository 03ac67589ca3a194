namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The packing pass before prefill-sized products: each planned x [n, columns] is transposed once into the packed
/// kernel's 32-token groups (<see cref="PackedGemmKernel.PackInputGroups"/>), a few groups per task, into one shared
/// buffer, so the row slices of a product, and products reading the same x, share one copy instead of each slice
/// transposing all of x. <see cref="Add"/> plans an input and gives its offset; the caller sizes the buffer from
/// <see cref="Floats"/>, hands it over with <see cref="SetTarget"/> and runs the pass.
/// </summary>
internal sealed unsafe class PackInputJob : IParallelJob
{
    // Token groups per task: a few, so the pass splits across the cores.
    private const int GroupsPerTask = 4;

    private Input[] _inputs = new Input[8];
    private (int Input, int FirstGroup, int EndGroup)[] _tasks = new (int, int, int)[16];
    private int _inputCount;
    private float* _target;

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"PackInput {_inputCount} inputs, {Tasks} tasks";

    /// <summary>Floats the pass writes: the shared buffer's size.</summary>
    public long Floats { get; private set; }

    /// <summary>Forgets the planned inputs.</summary>
    public void Clear()
    {
        _inputCount = 0;
        Tasks = 0;
        Floats = 0;
        _target = null;
    }

    /// <summary>
    /// Plans x to be packed and returns where its copy starts in the buffer: an input already planned shares its copy;
    /// -1 when the buffer would pass <see cref="PackedGemmKernel.MaxSharedInputFloats"/> (the caller packs per slice).
    /// </summary>
    public long Add(float* x, int n, int columns)
    {
        for (int i = 0; i < _inputCount; i++)
        {
            if (_inputs[i].X == x && _inputs[i].N == n && _inputs[i].Columns == columns)
            {
                return _inputs[i].Offset;
            }
        }

        long size = PackedGemmKernel.PackedInputFloats(n, columns);
        if (Floats + size > PackedGemmKernel.MaxSharedInputFloats)
        {
            return -1;
        }

        if (_inputCount == _inputs.Length)
        {
            Array.Resize(ref _inputs, _inputs.Length * 2);
        }

        long offset = Floats;
        _inputs[_inputCount] = new Input { X = x, N = n, Columns = columns, Offset = offset };
        int groups = (n + PackedGemmKernel.TokenGroup - 1) / PackedGemmKernel.TokenGroup;
        for (int g = 0; g < groups; g += GroupsPerTask)
        {
            if (Tasks == _tasks.Length)
            {
                Array.Resize(ref _tasks, _tasks.Length * 2);
            }

            _tasks[Tasks++] = (_inputCount, g, Math.Min(groups, g + GroupsPerTask));
        }

        _inputCount++;
        Floats += size;
        return offset;
    }

    /// <summary>The buffer the pass writes (at least <see cref="Floats"/> long, pinned for the run).</summary>
    public void SetTarget(float* target) => _target = target;

    public void Execute(int task)
    {
        var (index, firstGroup, endGroup) = _tasks[task];
        var input = _inputs[index];
        PackedGemmKernel.PackInputGroups(input.X, input.N, input.Columns, _target + input.Offset, firstGroup, endGroup);
    }

    private struct Input
    {
        public float* X;
        public int N;
        public int Columns;
        public long Offset;
    }
}
