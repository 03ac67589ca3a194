using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Model;

/// <summary>Cross-field rules a DeepSeek-V3 config must satisfy before any tensor is read.</summary>
internal static class ModelConfigValidator
{
    public static void Validate(ModelConfig c, string source)
    {
        Positive(source, ("vocab_size", c.VocabSize), ("hidden_size", c.HiddenSize), ("intermediate_size", c.IntermediateSize),
            ("moe_intermediate_size", c.MoeIntermediateSize), ("num_hidden_layers", c.NumHiddenLayers),
            ("num_attention_heads", c.NumAttentionHeads), ("n_routed_experts", c.NRoutedExperts),
            ("kv_lora_rank", c.KvLoraRank), ("q_lora_rank", c.QLoraRank), ("qk_rope_head_dim", c.QkRopeHeadDim),
            ("qk_nope_head_dim", c.QkNopeHeadDim), ("v_head_dim", c.VHeadDim), ("n_group", c.NGroup),
            ("topk_group", c.TopkGroup), ("num_experts_per_tok", c.NumExpertsPerTok),
            ("max_position_embeddings", c.MaxPositionEmbeddings));

        Check(source, "n_shared_experts", c.NSharedExperts >= 0, "must not be negative");
        Check(source, "num_nextn_predict_layers", c.NumNextnPredictLayers >= 0, "must not be negative");
        Check(source, "qk_rope_head_dim", c.QkRopeHeadDim % 2 == 0, $"is {c.QkRopeHeadDim}; RoPE rotates pairs, so it must be even");
        Check(source, "n_group", c.NRoutedExperts % c.NGroup == 0,
            $"is {c.NGroup}; it must divide n_routed_experts ({c.NRoutedExperts})");
        Check(source, "topk_group", c.TopkGroup <= c.NGroup, $"is {c.TopkGroup}; it cannot exceed n_group ({c.NGroup})");
        int expertsPerGroup = c.NRoutedExperts / c.NGroup;
        Check(source, "n_group", expertsPerGroup >= 2 || c.NGroup == 1,
            "leaves fewer than 2 experts per group; the group score sums the top 2");
        Check(source, "num_experts_per_tok", c.NumExpertsPerTok <= c.TopkGroup * expertsPerGroup,
            $"is {c.NumExpertsPerTok}; the {c.TopkGroup} kept groups hold only {c.TopkGroup * expertsPerGroup} experts");
        Check(source, "first_k_dense_replace", c.FirstKDenseReplace >= 0 && c.FirstKDenseReplace <= c.NumHiddenLayers,
            $"is {c.FirstKDenseReplace}; it must lie in [0, num_hidden_layers = {c.NumHiddenLayers}]");
        Check(source, "rms_norm_eps", c.RmsNormEps > 0 && c.RmsNormEps < 1, "must lie in (0, 1)");
        Check(source, "rope_theta", c.RopeTheta > 1, "must be greater than 1");
        Check(source, "routed_scaling_factor", c.RoutedScalingFactor > 0, "must be positive");
        Check(source, "bos_token_id", c.BosTokenId >= 0 && c.BosTokenId < c.VocabSize, "must be a token id below vocab_size");
        Check(source, "eos_token_id", c.EosTokenId >= 0 && c.EosTokenId < c.VocabSize, "must be a token id below vocab_size");
        if (c.RopeScaling is { } yarn)
        {
            Check(source, "rope_scaling", yarn.Factor >= 1, $"factor {yarn.Factor} must be at least 1");
            Check(source, "rope_scaling", yarn.OriginalMaxPositionEmbeddings > 0, "original_max_position_embeddings must be positive");
            Check(source, "rope_scaling", yarn.BetaFast > yarn.BetaSlow && yarn.BetaSlow > 0,
                "needs beta_fast > beta_slow > 0");
        }
    }

    private static void Positive(string source, params (string Field, int Value)[] fields)
    {
        foreach (var (field, value) in fields)
        {
            Check(source, field, value > 0, $"is {value}; it must be positive");
        }
    }

    private static void Check(string source, string field, bool ok, string problem)
    {
        if (!ok)
        {
            throw new CheckpointException($"{source}: field '{field}' {problem}");
        }
    }
}
