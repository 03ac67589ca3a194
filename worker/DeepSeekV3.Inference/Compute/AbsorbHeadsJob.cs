using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The absorbed attention products of a prefill-sized step for every head, x and y read and written in place inside
/// their [tokens, heads, ·] buffers: y[t, h, ·] = Σ_r x[t, h, r] · S_h[r, ·], where S_h is head h's slice of kv_b_proj
/// (rows h·headRowStride + rowStart .., rowCount of them) as stored (q · W_UK) or transposed (o · W_UVᵀ). One task per
/// head and slice of tokens; each task dequantizes (and transposes) its head's slice once into the thread's scratch and
/// runs <see cref="WeightedRowsKernel"/> over its tokens.
/// </summary>
internal sealed unsafe class AbsorbHeadsJob : IParallelJob
{
    private WeightMatrix _weight;
    private float* _x;
    private float* _y;
    private int _xRowStride;
    private int _xHeadStride;
    private int _yRowStride;
    private int _n;
    private int _headRowStride;
    private int _rowCount;
    private int _slices; // token slices per head
    private int _rowStart;
    private bool _transposed;

    [ThreadStatic]
    private static float[]? t_transposed;

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() =>
        $"{(_transposed ? "ApplyHeads" : "AbsorbHeads")} {_rowCount}x{_weight.Columns} {_weight.Format}, {_n} tokens, {Tasks} tasks";

    /// <summary>Slices as stored when <paramref name="transposed"/> is false ([rowCount, columns]), else transposed ([columns, rowCount]).</summary>
    public void Set(in WeightMatrix weight, float* x, int xRowStride, int xHeadStride, int n, int heads, int headRowStride, int rowStart,
        int rowCount, bool transposed, float* y, int yRowStride, int slicesPerHead)
    {
        _rowStart = rowStart;
        _transposed = transposed;
        _weight = weight;
        _x = x;
        _y = y;
        _xRowStride = xRowStride;
        _xHeadStride = xHeadStride;
        _yRowStride = yRowStride;
        _n = n;
        _headRowStride = headRowStride;
        _rowCount = rowCount;
        _slices = slicesPerHead;
        Tasks = heads * slicesPerHead;
    }

    public void Execute(int task)
    {
        int columns = _weight.Columns, head = task / _slices, slice = task % _slices;
        int first = (int)((long)_n * slice / _slices), end = (int)((long)_n * (slice + 1) / _slices);
        var stored = CpuBackend.RowScratch(_rowCount * columns);
        for (int r = 0; r < _rowCount; r++)
        {
            _weight.DequantizeRow((head * _headRowStride) + _rowStart + r, stored.Slice(r * columns, columns));
        }

        // The kernel's rows: the slice as stored, or its transpose.
        var rows = _transposed ? AlignedScratch.Get(ref t_transposed, _rowCount * columns) : stored;
        int kernelRows = _transposed ? columns : _rowCount, kernelColumns = _transposed ? _rowCount : columns;
        if (_transposed)
        {
            fixed (float* from = stored)
            fixed (float* to = rows)
            {
                PackedGemmKernel.Transpose(from, _rowCount, columns, to);
            }
        }

        float* x = _x + ((long)head * _xHeadStride), y = _y + ((long)head * kernelColumns);
        fixed (float* w = rows)
        {
            if (WeightedRowsKernel.IsSupported)
            {
                WeightedRowsKernel.Compute(w, kernelRows, kernelColumns, x, _xRowStride, first, end, y, _yRowStride);
                return;
            }

            for (int t = first; t < end; t++)
            {
                var target = new Span<float>(y + ((long)t * _yRowStride), kernelColumns);
                target.Clear();
                for (int r = 0; r < kernelRows; r++)
                {
                    TensorPrimitives.MultiplyAdd(rows.Slice(r * kernelColumns, kernelColumns), x[((long)t * _xRowStride) + r], target, target);
                }
            }
        }
    }
}
