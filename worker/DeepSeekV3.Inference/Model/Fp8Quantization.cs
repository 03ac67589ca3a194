namespace DeepSeekV3.Inference.Model;

/// <summary>config.json <c>quantization_config</c> of method <c>fp8</c>: e4m3 weights with per-block scales.</summary>
public sealed record Fp8Quantization(int BlockRows, int BlockColumns);
