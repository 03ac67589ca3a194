namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>One tensor a DeepSeek-V3 checkpoint must contain: its Hugging Face name, shape and role.</summary>
public sealed record CheckpointTensorSpec(string Name, long[] Shape, TensorRole Role);
