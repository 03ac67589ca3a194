using System.Globalization;

using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Validation;

/// <summary>
/// Per-GPU memory for DeepSeek-V3 weights under expert parallelism. Every V3-family checkpoint
/// (V3, V3-0324, R1, V3.1) shares these dimensions, so they are constants rather than spec fields.
/// </summary>
public static class CapacityPlanner
{
    public const long TotalParameters = 671_000_000_000;
    public const int Layers = 61;
    public const int DenseLayers = 3;
    public const int Hidden = 7168;
    public const int RoutedExperts = 256;
    public const int MoeIntermediate = 2048;
    public const int KvLoraRank = 512;
    public const int RopeHeadDim = 64;
    public const int Vocab = 129_280;

    /// <summary>Gate, up and down projections of one routed expert.</summary>
    public const long ExpertParameters = 3L * Hidden * MoeIntermediate;

    /// <summary>Routed-expert parameters over all MoE layers; the rest (attention, dense MLPs, embeddings, shared experts) is replicated on each GPU.</summary>
    public const long RoutedExpertParameters = (Layers - DenseLayers) * RoutedExperts * ExpertParameters;

    public const long ReplicatedParameters = TotalParameters - RoutedExpertParameters;

    /// <summary>MLA caches one compressed latent (kv_lora_rank) plus the decoupled RoPE key per token per layer, in BF16.</summary>
    public const long KvBytesPerToken = (long)Layers * (KvLoraRank + RopeHeadDim) * 2;

    /// <summary>Smallest KV cache worth serving: one 4k-token sequence per GPU.</summary>
    public const long MinimumKvTokensPerGpu = 4096;

    /// <summary>Memory kept back for activations, CUDA context and fragmentation.</summary>
    public const double ReservedFraction = 0.10;

    public static CapacityPlan Plan(ModelPrecision precision, int gpus, int gpuMemoryGiB, int redundantExperts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gpus, 1);
        var bytesPerParam = precision == ModelPrecision.Fp8 ? 1L : 2L;
        var expertsPerGpu = (RoutedExperts + redundantExperts + gpus - 1) / gpus;
        var weights = (ReplicatedParameters + (Layers - DenseLayers) * expertsPerGpu * ExpertParameters) * bytesPerParam;
        var usable = (long)(gpuMemoryGiB * (1L << 30) * (1 - ReservedFraction));
        var kvTokensPerGpu = Math.Max(0, usable - weights) / KvBytesPerToken;
        var fits = kvTokensPerGpu >= MinimumKvTokensPerGpu;
        var message = string.Format(
            CultureInfo.InvariantCulture,
            "{0} weights need {1:F1} GiB per GPU ({2} experts per GPU over {3} GPUs); usable {4:F1} GiB of {5} GiB leaves KV for {6} tokens per GPU (minimum {7})",
            precision == ModelPrecision.Fp8 ? "FP8" : "BF16",
            weights / (double)(1L << 30),
            expertsPerGpu,
            gpus,
            usable / (double)(1L << 30),
            gpuMemoryGiB,
            kvTokensPerGpu,
            MinimumKvTokensPerGpu);
        return new CapacityPlan(fits, weights, kvTokensPerGpu * gpus, message);
    }
}
