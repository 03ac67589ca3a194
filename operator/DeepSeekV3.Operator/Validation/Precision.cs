namespace DeepSeekV3.Operator.Validation;

/// <summary>Checkpoint numeric precision; FP8 stores one byte per weight, BF16 two.</summary>
public enum Precision
{
    Fp8,
    Bf16,
}
