namespace DeepSeekV3.Operator.Validation;

/// <summary>Result of planning one group: per-GPU bytes and the KV cache left, in tokens per group.</summary>
public sealed record CapacityPlan(bool Fits, long WeightBytesPerGpu, long KvTokensPerGroup, string Message);
