namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[n, rowCount] = x[n, columns] · W[rowStart..)ᵀ (<see cref="LinearRows"/> does the work), one task per block of
/// rows × tokens. Rows are cut first, on the running kernel's panel height, so a step streams the weights once; when
/// there are fewer row slices than tasks wanted (a 64-row head slice in prefill), tokens are cut too, in whole
/// groups of the prefill kernel, so small products still use every core.
/// </summary>
internal sealed unsafe class LinearJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x; // [n, columns]
    private float* _y; // [n, rowCount]
    private int _n;
    private int _rowStart;
    private int _rowCount;
    private int _cut; // slices start on multiples of this many rows (LinearRows.CutRows)
    private int _rowSlices;
    private int _tokenSlices;
    private float* _packed; // x transposed once for every slice (PackInputJob), or null: each slice packs its own

    /// <summary>
    /// Whether the slices would each transpose all of x (the packed kernel, several row slices): then the caller packs x
    /// once with <see cref="PackInputJob"/> and hands it over with <see cref="UsePackedInput"/>.
    /// </summary>
    public bool RepacksInput => _rowSlices > 1 && LinearRows.UsesPacked(_weight, _n);

    public int Tasks => _rowSlices * _tokenSlices;

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() =>
        $"Linear {_rowCount}x{_weight.Columns} {_weight.Format}, {_n} tokens, {_rowSlices}x{_tokenSlices} tasks{(_packed != null ? ", x packed" : "")}";

    public void Set(in WeightMatrix weight, float* x, float* y, int n, int rowStart, int rowCount, int tasks, int threads)
    {
        _weight = weight;
        _x = x;
        _y = y;
        _n = n;
        _rowStart = rowStart;
        _rowCount = rowCount;
        int unit = LinearRows.RowGranularity(weight, n); // the least rows a slice may have: bounds the slice count
        _cut = LinearRows.CutRows(weight, n, unit);
        _rowSlices = Math.Max(1, Math.Min(tasks, rowCount / unit));
        if (_rowSlices > threads)
        {
            // Equal slices in a number the threads divide: a prefill's 1024-row products, cut into 5 slices of at least
            // the packed kernel's 192 rows, ran as 3 slices on one thread and 2 on the other.
            _rowSlices -= _rowSlices % threads;
        }

        int tokenGroups = n > FusedGemvKernel.MaxTokens(weight.Columns) ? n / PackedGemmKernel.TokenGroup : 1;
        _tokenSlices = Math.Max(1, Math.Min(tasks / _rowSlices, tokenGroups));
        _packed = null;
    }

    public void UsePackedInput(float* packed) => _packed = packed;

    public void Execute(int task)
    {
        int rowSlice = task / _tokenSlices, tokenSlice = task % _tokenSlices;
        int panels = (_rowCount + _cut - 1) / _cut;
        int first = (int)((long)panels * rowSlice / _rowSlices) * _cut;
        int end = Math.Min(_rowCount, (int)((long)panels * (rowSlice + 1) / _rowSlices) * _cut);
        int groups = Math.Max(1, _n / PackedGemmKernel.TokenGroup);
        int firstToken = _tokenSlices == 1 ? 0 : (int)((long)groups * tokenSlice / _tokenSlices) * PackedGemmKernel.TokenGroup;
        int endToken = _tokenSlices == 1 || tokenSlice == _tokenSlices - 1 ? _n
            : (int)((long)groups * (tokenSlice + 1) / _tokenSlices) * PackedGemmKernel.TokenGroup;
        if (_packed != null)
        {
            LinearRows.ComputePrepacked(_weight, _packed, _x, _n, firstToken, endToken, _y, _rowCount, _rowStart, first, end);
            return;
        }

        LinearRows.Compute(_weight, _x + ((long)firstToken * _weight.Columns), endToken - firstToken,
            _y + ((long)firstToken * _rowCount), _rowCount, _rowStart, first, end);
    }
}
