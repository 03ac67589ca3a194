using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// The tensors of a DeepSeek-V3 checkpoint for a config (Hugging Face names, [out, in] shapes), in the order
/// <c>save_pretrained</c> writes them. MTP layers are not listed: the engine never reads them.
/// </summary>
public static class CheckpointLayout
{
    public static IEnumerable<CheckpointTensorSpec> Tensors(ModelConfig c)
    {
        yield return new("model.embed_tokens.weight", [c.VocabSize, c.HiddenSize], TensorRole.Embedding);
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            string p = $"model.layers.{layer}";
            yield return new($"{p}.input_layernorm.weight", [c.HiddenSize], TensorRole.Norm);
            yield return new($"{p}.self_attn.q_a_proj.weight", [c.QLoraRank, c.HiddenSize], TensorRole.Projection);
            yield return new($"{p}.self_attn.q_a_layernorm.weight", [c.QLoraRank], TensorRole.Norm);
            yield return new($"{p}.self_attn.q_b_proj.weight", [c.NumAttentionHeads * c.QkHeadDim, c.QLoraRank], TensorRole.Projection);
            yield return new($"{p}.self_attn.kv_a_proj_with_mqa.weight", [c.KvLoraRank + c.QkRopeHeadDim, c.HiddenSize], TensorRole.Projection);
            yield return new($"{p}.self_attn.kv_a_layernorm.weight", [c.KvLoraRank], TensorRole.Norm);
            yield return new($"{p}.self_attn.kv_b_proj.weight", [c.NumAttentionHeads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank], TensorRole.Projection);
            yield return new($"{p}.self_attn.o_proj.weight", [c.HiddenSize, c.NumAttentionHeads * c.VHeadDim], TensorRole.Projection);
            yield return new($"{p}.post_attention_layernorm.weight", [c.HiddenSize], TensorRole.Norm);
            if (!c.IsMoeLayer(layer))
            {
                foreach (var spec in Mlp($"{p}.mlp", c.HiddenSize, c.IntermediateSize))
                {
                    yield return spec;
                }

                continue;
            }

            yield return new($"{p}.mlp.gate.weight", [c.NRoutedExperts, c.HiddenSize], TensorRole.GateWeight);
            yield return new($"{p}.mlp.gate.e_score_correction_bias", [c.NRoutedExperts], TensorRole.GateBias);
            for (int e = 0; e < c.NRoutedExperts; e++)
            {
                foreach (var spec in Mlp($"{p}.mlp.experts.{e}", c.HiddenSize, c.MoeIntermediateSize))
                {
                    yield return spec;
                }
            }

            foreach (var spec in Mlp($"{p}.mlp.shared_experts", c.HiddenSize, c.NSharedExperts * c.MoeIntermediateSize))
            {
                yield return spec;
            }
        }

        yield return new("model.norm.weight", [c.HiddenSize], TensorRole.Norm);
        yield return new("lm_head.weight", [c.VocabSize, c.HiddenSize], TensorRole.Head);
    }

    private static IEnumerable<CheckpointTensorSpec> Mlp(string prefix, int hidden, int inter)
    {
        yield return new($"{prefix}.gate_proj.weight", [inter, hidden], TensorRole.Projection);
        yield return new($"{prefix}.up_proj.weight", [inter, hidden], TensorRole.Projection);
        yield return new($"{prefix}.down_proj.weight", [hidden, inter], TensorRole.Projection);
    }
}
