using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>model.py <c>RMSNorm</c>: x · rsqrt(mean(x²) + eps) · weight.</summary>
public sealed class RmsNorm(float[] weight, float eps)
{
    public int Dim => weight.Length;

    public ReadOnlySpan<float> Weight => weight;

    public float Epsilon => eps;

    /// <summary>y[n, Dim] = norm(x[n, Dim]); x and y may be the same buffer.</summary>
    public void Forward(IComputeBackend backend, ReadOnlySpan<float> x, int n, Span<float> y) =>
        backend.RmsNorm(x[..(n * Dim)], n, weight, eps, y);
}
