namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// One product of a grouped linear: y[n, W.Rows] = x[n, W.Columns] · Wᵀ, on buffers the caller keeps pinned for the
/// duration of the call.
/// </summary>
public readonly unsafe struct LinearProduct(WeightMatrix weight, float* x, int n, float* y)
{
    public WeightMatrix Weight { get; } = weight;

    public float* X { get; } = x;

    public int N { get; } = n;

    public float* Y { get; } = y;
}
