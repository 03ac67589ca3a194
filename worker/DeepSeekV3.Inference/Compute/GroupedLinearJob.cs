namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Several independent linear products (the experts of an MoE layer, projections sharing an input) as one parallel
/// dispatch: every product is cut into row chunks of similar work and all chunks share one task list, so threads stay
/// busy across products and the pool is woken once instead of once per product.
/// </summary>
internal sealed unsafe class GroupedLinearJob : IParallelJob
{
    // About this many multiply-adds per task: enough to amortize a hand-out, small enough to balance two cores.
    private const long WorkPerTask = 256 * 1024;

    private LinearProduct[] _products = new LinearProduct[16];
    private (int Product, int First, int End)[] _tasks = new (int, int, int)[64];

    public int Tasks { get; private set; }

    public void Set(ReadOnlySpan<LinearProduct> products)
    {
        if (_products.Length < products.Length)
        {
            _products = new LinearProduct[products.Length * 2];
        }

        products.CopyTo(_products);
        Tasks = 0;
        for (int p = 0; p < products.Length; p++)
        {
            var weight = products[p].Weight;
            int rows = products[p].Rows;
            long work = (long)rows * weight.Columns * products[p].N;
            int unit = LinearRows.RowGranularity(weight, products[p].N);
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
        }
    }

    public void Execute(int task)
    {
        var (p, first, end) = _tasks[task];
        var product = _products[p];
        LinearRows.Compute(product.Weight, product.X, product.N, product.Y, product.Rows, product.RowStart, first, end);
    }
}
