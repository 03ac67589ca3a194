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

    /// <summary>
    /// Cuts the products into tasks for <paramref name="threads"/> threads; inputs worth transposing once are planned into
    /// <paramref name="packing"/>.
    /// </summary>
    public void Set(ReadOnlySpan<LinearProduct> products, PackInputJob packing, int threads)
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
            AddTasks(p, 0, product.Rows, chunks, cut);

            _packedOffsets[p] = chunks > 1 && LinearRows.UsesPacked(weight, product.N) ? packing.Add(product.X, product.N, weight.Columns) : -1;
        }

        SortLargestFirst();
        SplitRemainder(threads);
        BalanceOneTaskPerThread(threads);
        SortLargestFirst();
    }

    /// <summary>
    /// Largest first, so a run ends on small tasks: threads take tasks in list order, and a large task handed out last
    /// leaves the other threads waiting for it (longest-processing-time-first scheduling).
    /// </summary>
    private void SortLargestFirst() => _tasks.AsSpan(0, Tasks).Sort(static (a, b) => b.Work.CompareTo(a.Work));

    /// <summary>
    /// Tasks that are exactly one per thread but unequal leave the threads with the smaller ones waiting: batch-1 MLA's
    /// q_a (384 rows) and kv_a (288 rows) projections ran one task each, and the pool profile showed the worker idle
    /// 5.6 of the group's 23.7 µs. So a task well over the mean is cut at the mean, on whole panels, and its excess
    /// becomes a task of its own, which the thread that finishes first takes (q_a as 336 + 48 rows beside kv_a's 288).
    /// FP8 batch 1, Zen 4, pool profiles of 3 alternating runs: the group 22.7-32.1 → 20.7-30.5 µs (about 0.6 % of a step).
    /// </summary>
    private void BalanceOneTaskPerThread(int threads)
    {
        if (threads < 2 || Tasks != threads)
        {
            return;
        }

        long total = 0;
        for (int i = 0; i < Tasks; i++)
        {
            total += _tasks[i].Work;
        }

        long mean = total / threads;
        int count = Tasks;
        for (int i = 0; i < count; i++)
        {
            var (index, first, end, work) = _tasks[i];
            var product = _products[index];
            long workPerRow = (long)product.Weight.Columns * product.N;
            int cut = CutRows(product);
            int keep = (int)(mean / workPerRow) / cut * cut;
            // Less than a sixteenth over the mean is not worth a task of its own (a hand-out and a cold stream).
            if (work - mean < mean / 16 || keep <= 0 || first + keep >= end)
            {
                continue;
            }

            _tasks[i] = (index, first, first + keep, keep * workPerRow);
            AddTasks(index, first + keep, end, 1, cut);
        }
    }

    /// <summary>
    /// Equal tasks that do not divide among the threads leave all but one thread waiting for the last of them: batch-1
    /// decode's MoE down projections (4 routed experts and the shared one, one task each) ran 3 tasks on one core and 2 on
    /// the other, and the pool profile showed the caller waiting 19.5 of the group's 80 µs. So the smallest Tasks mod
    /// threads tasks (the list's tail, which the caller has sorted largest first) are each cut into up to one piece per
    /// thread, on the product's panel boundaries: 5 tasks on 2 threads become 4 and two halves, 2.5 tasks' worth each. Whole tasks
    /// stay whole, since a task cut in two reads its rows as shorter streams (every expert product cut in two: batch-1
    /// FP8 decode 3-7 % slower, session 15).
    /// </summary>
    private void SplitRemainder(int threads)
    {
        int remainder = Tasks % threads;
        if (threads < 2 || remainder == 0)
        {
            return;
        }

        // The tail is cut in place of itself: its tasks are set aside, then their pieces appended.
        int whole = Tasks - remainder;
        Span<(int Product, int First, int End, long Work)> tail = stackalloc (int, int, int, long)[remainder];
        _tasks.AsSpan(whole, remainder).CopyTo(tail);
        Tasks = whole;
        foreach (var (index, first, end, _) in tail)
        {
            var product = _products[index];
            int cut = CutRows(product);
            AddTasks(index, first, end, Math.Min(threads, (end - first + cut - 1) / cut), cut);
        }
    }

    /// <summary>The row multiple a product's tasks are cut on (<see cref="LinearRows.CutRows"/> of its task granularity).</summary>
    private static int CutRows(in LinearProduct product) =>
        LinearRows.CutRows(product.Weight, product.N, LinearRows.TaskGranularity(product.Weight, product.N));

    /// <summary>Rows [first, end) of product <paramref name="index"/> as <paramref name="pieces"/> tasks of whole <paramref name="cut"/>-row panels.</summary>
    private void AddTasks(int index, int first, int end, int pieces, int cut)
    {
        var product = _products[index];
        long workPerRow = (long)product.Weight.Columns * product.N;
        int panels = (end - first + cut - 1) / cut;
        for (int piece = 0; piece < pieces; piece++)
        {
            int pieceFirst = first + ((int)((long)panels * piece / pieces) * cut);
            int pieceEnd = Math.Min(end, first + ((int)((long)panels * (piece + 1) / pieces) * cut));
            if (Tasks == _tasks.Length)
            {
                Array.Resize(ref _tasks, _tasks.Length * 2);
            }

            _tasks[Tasks++] = (index, pieceFirst, pieceEnd, (pieceEnd - pieceFirst) * workPerRow);
        }
    }

    /// <summary>The packing pass's output, for the products planned into it.</summary>
    public void UsePackedInput(float* packed) => _packed = packed;

    public void Execute(int task)
    {
        var (index, first, end, _) = _tasks[task];
        var product = _products[index];
        if (product.IsGated)
        {
            LinearRows.ComputeSiluGated(product.Weight, product.Up, product.X, product.Y, first, end);
            return;
        }

        if (_packedOffsets[index] >= 0 && _packed != null)
        {
            LinearRows.ComputePrepacked(product.Weight, _packed + _packedOffsets[index], product.X, product.N, 0, product.N, product.Y,
                product.Rows, product.RowStart, first, end);
            return;
        }

        LinearRows.Compute(product.Weight, product.X, product.N, product.Y, product.Rows, product.RowStart, first, end);
    }
}
