namespace DeepSeekV3.Inference.Compute;

/// <summary>How a weight matrix is stored. Kernels dequantize as they read; memory keeps the stored form.</summary>
public enum WeightFormat
{
    F32,
    BF16,

    /// <summary>float8 e4m3fn codes with one float32 <c>weight_scale_inv</c> per block (128x128 in DeepSeek-V3).</summary>
    F8E4M3Blocked,
}
