namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// One product of a grouped linear: y[n, Rows] = x[n, W.Columns] · W[RowStart .. RowStart + Rows)ᵀ (the whole weight
/// unless a row slice is given), on buffers the caller keeps pinned for the duration of the call.
/// </summary>
public readonly unsafe struct LinearProduct(WeightMatrix weight, int rowStart, int rows, float* x, int n, float* y)
{
    public LinearProduct(WeightMatrix weight, float* x, int n, float* y)
        : this(weight, 0, weight.Rows, x, n, y)
    {
    }

    public WeightMatrix Weight { get; } = weight;

    public int RowStart { get; } = rowStart;

    public int Rows { get; } = rows;

    public float* X { get; } = x;

    public int N { get; } = n;

    public float* Y { get; } = y;
}
