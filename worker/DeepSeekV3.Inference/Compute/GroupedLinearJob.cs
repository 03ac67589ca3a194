namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Several independent linear products (the experts of an MoE layer, projections sharing an input) as one parallel
/// dispatch: every product is cut into row chunks of similar work and all chunks share one task list, so threads stay
/// busy across products and the pool is woken once instead of once per product.
/// A prefill-sized product cut into several chunks would have each chunk transpose all of its x for the packed
/// kernel; such inputs are transposed once instead, in a packing pass before the products (<see cref="PackTasks"/>),
/// and products that read the same x share the copy.
/// </summary>
internal sealed unsafe class GroupedLinearJob : IParallelJob
{
    // About this many multiply-adds per task: enough to amortize a hand-out, small enough to balance two cores.
    private const long WorkPerTask = 256 * 1024;

    // Token groups per packing task: a few, so the packing pass splits across the cores.
    private const int GroupsPerPackTask = 4;

    private LinearProduct[] _products = new LinearProduct[16];
    private long[] _packedOffsets = new long[16]; // per product: where its transposed x starts in the shared buffer, or -1
    private (int Product, int First, int End)[] _tasks = new (int, int, int)[64];
    private (int Product, int FirstGroup, int EndGroup)[] _packTasks = new (int, int, int)[16];
    private float* _packed;
    private bool _packing;

    /// <summary>Tasks of the products pass.</summary>
    public int Tasks { get; private set; }

    /// <summary>Tasks of the packing pass (0: nothing to pack).</summary>
    public int PackTasks { get; private set; }

    /// <summary>Floats the packing pass writes: the shared buffer's size.</summary>
    public long PackedFloats { get; private set; }

    public void Set(ReadOnlySpan<LinearProduct> products)
    {
        if (_products.Length < products.Length)
        {
            _products = new LinearProduct[products.Length * 2];
            _packedOffsets = new long[products.Length * 2];
        }

        products.CopyTo(_products);
        Tasks = 0;
        PackTasks = 0;
        PackedFloats = 0;
        _packed = null;
        _packing = false;
        for (int p = 0; p < products.Length; p++)
        {
            var weight = products[p].Weight;
            int rows = products[p].Rows;
            long work = (long)rows * weight.Columns * products[p].N;
            int unit = LinearRows.TaskGranularity(weight, products[p].N);
            int panels = (rows + unit - 1) / unit;
            int chunks = (int)Math.Clamp(work / WorkPerTask, 1, panels);
            for (int c = 0; c < chunks; c++)
            {
                int first = (int)((long)panels * c / chunks) * unit;
                int end = Math.Min(rows, (int)((long)panels * (c + 1) / chunks) * unit);
                if (Tasks == _tasks.Length)
                {
                    Array.Resize(ref _tasks, _tasks.Length * 2);
                }

                _tasks[Tasks++] = (p, first, end);
            }

            _packedOffsets[p] = chunks > 1 && LinearRows.UsesPacked(weight, products[p].N) ? PlanPacking(products, p) : -1;
        }
    }

    /// <summary>Where product p's transposed x goes: a copy an earlier product already packs, or a new one.</summary>
    private long PlanPacking(ReadOnlySpan<LinearProduct> products, int p)
    {
        var product = products[p];
        int columns = product.Weight.Columns;
        for (int q = 0; q < p; q++)
        {
            if (_packedOffsets[q] >= 0 && products[q].X == product.X && products[q].N == product.N && products[q].Weight.Columns == columns)
            {
                return _packedOffsets[q];
            }
        }

        long size = PackedGemmKernel.PackedInputFloats(product.N, columns);
        if (PackedFloats + size > PackedGemmKernel.MaxSharedInputFloats)
        {
            return -1;
        }

        long offset = PackedFloats;
        PackedFloats += size;
        int groups = (product.N + PackedGemmKernel.TokenGroup - 1) / PackedGemmKernel.TokenGroup;
        for (int g = 0; g < groups; g += GroupsPerPackTask)
        {
            if (PackTasks == _packTasks.Length)
            {
                Array.Resize(ref _packTasks, _packTasks.Length * 2);
            }

            _packTasks[PackTasks++] = (p, g, Math.Min(groups, g + GroupsPerPackTask));
        }

        return offset;
    }

    /// <summary>The next run executes the packing pass into <paramref name="packed"/> (at least <see cref="PackedFloats"/>).</summary>
    public void BeginPacking(float* packed)
    {
        _packed = packed;
        _packing = true;
    }

    /// <summary>The next run executes the products (reading the packed inputs, if any were planned).</summary>
    public void BeginProducts() => _packing = false;

    public void Execute(int task)
    {
        if (_packing)
        {
            var (p, firstGroup, endGroup) = _packTasks[task];
            var source = _products[p];
            PackedGemmKernel.PackInputGroups(source.X, source.N, source.Weight.Columns, _packed + _packedOffsets[p], firstGroup, endGroup);
            return;
        }

        var (index, first, end) = _tasks[task];
        var product = _products[index];
        if (_packedOffsets[index] >= 0 && _packed != null)
        {
            PackedGemmKernel.ComputePacked(product.Weight, _packed + _packedOffsets[index], product.N, product.Y, product.Rows, product.RowStart,
                first, end);
            return;
        }

        LinearRows.Compute(product.Weight, product.X, product.N, product.Y, product.Rows, product.RowStart, first, end);
    }
}
