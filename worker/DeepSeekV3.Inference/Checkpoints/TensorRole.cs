namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>What a checkpoint tensor is for, which decides its dtype in a real DeepSeek-V3 release.</summary>
public enum TensorRole
{
    /// <summary>model.embed_tokens: BF16 in every release.</summary>
    Embedding,

    /// <summary>Attention, dense-MLP, expert and shared-expert projections: FP8 with block scales in the FP8 release.</summary>
    Projection,

    /// <summary>RMSNorm weights: BF16.</summary>
    Norm,

    /// <summary>The MoE router weight: BF16, never FP8.</summary>
    GateWeight,

    /// <summary>e_score_correction_bias: F32.</summary>
    GateBias,

    /// <summary>lm_head: BF16.</summary>
    Head,
}
