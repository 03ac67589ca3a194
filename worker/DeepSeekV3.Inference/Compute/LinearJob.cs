namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// y[n, rowCount] = x[n, columns] · W[rowStart..)ᵀ, one task per contiguous slice of output rows, 4-row panels at a
/// time. Decode-sized steps (n ≤ 4) of BF16/FP8 weights use <see cref="FusedGemvKernel"/>, which reads the stored
/// weights once; larger steps dequantize each panel once into the thread's scratch and apply it to all n tokens with
/// the register-tiled <see cref="LinearKernel"/>. Either way a step streams the weights once.
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
        // Panels never straddle two tasks, so every task but the last starts on a panel boundary.
        Tasks = Math.Max(1, Math.Min(tasks, rowCount / LinearKernel.PanelRows));
    }

    public void Execute(int task)
    {
        int panels = (_rowCount + LinearKernel.PanelRows - 1) / LinearKernel.PanelRows;
        int first = (int)((long)panels * task / Tasks) * LinearKernel.PanelRows;
        int end = Math.Min(_rowCount, (int)((long)panels * (task + 1) / Tasks) * LinearKernel.PanelRows);
        if (_n <= FusedGemvKernel.MaxTokens && FusedGemvKernel.IsSupported && _weight.Format != WeightFormat.F32
            && (_weight.Format == WeightFormat.BF16
                || (_weight.BlockRows % LinearKernel.PanelRows == 0 && _rowStart % LinearKernel.PanelRows == 0)))
        {
            ExecuteFused(first, end);
        }
        else
        {
            ExecuteTiled(first, end);
        }
    }

    private void ExecuteTiled(int first, int end)
    {
        int columns = _weight.Columns;
        var panel = CpuBackend.RowScratch(LinearKernel.PanelRows * columns);
        var x = new ReadOnlySpan<float>(_x, _n * columns);
        var y = new Span<float>(_y, _n * _rowCount);
        for (int r = first; r < end; r += LinearKernel.PanelRows)
        {
            int rows = Math.Min(LinearKernel.PanelRows, end - r);
            for (int i = 0; i < rows; i++)
            {
                _weight.DequantizeRow(_rowStart + r + i, panel.Slice(i * columns, columns));
            }

            LinearKernel.Multiply(panel, rows, x, _n, columns, y, _rowCount, r);
        }
    }

    private void ExecuteFused(int first, int end)
    {
        int columns = _weight.Columns;
        int fullEnd = first + ((end - first) / LinearKernel.PanelRows * LinearKernel.PanelRows);
        int scaledBlock = -1;
        fixed (float* xScaled = CpuBackend.RowScratch(_n * columns))
        {
            for (int r = first; r < fullEnd; r += LinearKernel.PanelRows)
            {
                int row = _rowStart + r;
                if (_weight.Format == WeightFormat.BF16)
                {
                    FusedGemvKernel.Bf16Panel((ushort*)_weight.Data + ((long)row * columns), columns, _x, _n, _y, _rowCount, r);
                    continue;
                }

                // Panels start at rows ≡ 0 (mod 4) and blocks are multiples of 4 rows high: one scale row per panel.
                int block = row / _weight.BlockRows;
                if (block != scaledBlock)
                {
                    ScaleInput(row, xScaled);
                    scaledBlock = block;
                }

                FusedGemvKernel.Fp8Panel(_weight.Data + ((long)row * columns), columns, xScaled, _n, _y, _rowCount, r);
            }
        }

        if (fullEnd < end)
        {
            ExecuteTiled(fullEnd, end);
        }
    }

    /// <summary>target[t, j] = x[t, j] · scale[row / BlockRows, j / BlockColumns].</summary>
    private void ScaleInput(int row, float* target)
    {
        int columns = _weight.Columns;
        var scales = new ReadOnlySpan<float>(_weight.BlockScales + ((long)(row / _weight.BlockRows) * _weight.ScaleColumns), _weight.ScaleColumns);
        for (int t = 0; t < _n; t++)
        {
            for (int block = 0; block < scales.Length; block++)
            {
                int start = block * _weight.BlockColumns;
                int count = Math.Min(_weight.BlockColumns, columns - start);
                System.Numerics.Tensors.TensorPrimitives.Multiply(
                    new ReadOnlySpan<float>(_x + ((long)t * columns) + start, count), scales[block],
                    new Span<float>(target + ((long)t * columns) + start, count));
            }
        }
    }
}
