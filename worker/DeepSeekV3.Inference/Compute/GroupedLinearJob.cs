namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Several independent linear products (the experts of an MoE layer, projections sharing an input) as one parallel
/// dispatch: every product is cut into row chunks of similar work and all chunks share one task list, so threads stay
/// busy across products and the pool is woken once instead of once per product.
/// A prefill-sized product cut into several chunks would have each chunk transpose all of its x for the packed
/// kernel; such inputs are planned into a <see cref="PackInputJob"/> instead, transposed once before the products.
/// </summary>
internal sealed unsafe class GroupedLinearJob : IParallelJob
{
    // About this many multiply-adds per task: enough to amortize a hand-out, small enough to balance two cores.
    private const long WorkPerTask = 256 * 1024;

    private LinearProduct[] _products = new LinearProduct[16];
    private long[] _packedOffsets = new long[16]; // per product: where its transposed x starts in the packed buffer, or -1
    private (int Product, int First, int End, long Work)[] _tasks = new (int, int, int, long)[64];
    private float* _packed;
    private int _productCount;

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"LinearGroup {_productCount} products, {Tasks} tasks";

    /// <summary>Cuts the products into tasks; inputs worth transposing once are planned into <paramref name="packing"/>.</summary>
    public void Set(ReadOnlySpan<LinearProduct> products, PackInputJob packing)
    {
        if (_products.Length < products.Length)
        {
            _products = new LinearProduct[products.Length * 2];
            _packedOffsets = new long[products.Length * 2];
        }

        products.CopyTo(_products);
        _productCount = products.Length;
        Tasks = 0;
        _packed = null;
        for (int p = 0; p < products.Length; p++)
        {
            var product = products[p];
            var weight = product.Weight;
            long work = (long)product.Rows * weight.Columns * product.N;
            int unit = LinearRows.TaskGranularity(weight, product.N);
            int cut = LinearRows.CutRows(weight, product.N, unit);
            int chunks = (int)Math.Clamp(work / WorkPerTask, 1, (product.Rows + unit - 1) / unit);
            int panels = (product.Rows + cut - 1) / cut;
            for (int c = 0; c < chunks; c++)
            {
                int first = (int)((long)panels * c / chunks) * cut;
                int end = Math.Min(product.Rows, (int)((long)panels * (c + 1) / chunks) * cut);
                if (Tasks == _tasks.Length)
                {
                    Array.Resize(ref _tasks, _tasks.Length * 2);
                }

                _tasks[Tasks++] = (p, first, end, (long)(end - first) * weight.Columns * product.N);
            }

            _packedOffsets[p] = chunks > 1 && LinearRows.UsesPacked(weight, product.N) ? packing.Add(product.X, product.N, weight.Columns) : -1;
        }

        // Largest first, so a run ends on small tasks: threads take tasks in list order, and a large task handed out last
        // leaves the other threads waiting for it (longest-processing-time-first scheduling).
        _tasks.AsSpan(0, Tasks).Sort(static (a, b) => b.Work.CompareTo(a.Work));
    }

    /// <summary>The packing pass's output, for the products planned into it.</summary>
    public void UsePackedInput(float* packed) => _packed = packed;

    public void Execute(int task)
    {
        var (index, first, end, _) = _tasks[task];
        var product = _products[index];
        if (_packedOffsets[index] >= 0 && _packed != null)
        {
            LinearRows.ComputePrepacked(product.Weight, _packed + _packedOffsets[index], product.X, product.N, 0, product.N, product.Y,
                product.Rows, product.RowStart, first, end);
            return;
        }

        LinearRows.Compute(product.Weight, product.X, product.N, product.Y, product.Rows, product.RowStart, first, end);
    }
}
