using System.Text.Json;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>Writes a <see cref="ModelConfig"/> as a Hugging Face DeepSeek-V3 config.json, with the real field names.</summary>
public static class ConfigJsonWriter
{
    public static void Write(string path, ModelConfig c)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("architectures");
        json.WriteStringValue(ModelConfig.Architecture);
        json.WriteEndArray();
        json.WriteStartObject("auto_map");
        json.WriteString("AutoConfig", "configuration_deepseek.DeepseekV3Config");
        json.WriteString("AutoModel", "modeling_deepseek.DeepseekV3Model");
        json.WriteString("AutoModelForCausalLM", "modeling_deepseek.DeepseekV3ForCausalLM");
        json.WriteEndObject();
        json.WriteBoolean("attention_bias", false);
        json.WriteNumber("attention_dropout", 0.0);
        json.WriteNumber("aux_loss_alpha", 0.001);
        json.WriteNumber("bos_token_id", c.BosTokenId);
        json.WriteNumber("eos_token_id", c.EosTokenId);
        json.WriteNumber("ep_size", 1);
        json.WriteNumber("first_k_dense_replace", c.FirstKDenseReplace);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("hidden_size", c.HiddenSize);
        json.WriteNumber("initializer_range", 0.02);
        json.WriteNumber("intermediate_size", c.IntermediateSize);
        json.WriteNumber("kv_lora_rank", c.KvLoraRank);
        json.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
        json.WriteString("model_type", ModelConfig.ModelType);
        json.WriteNumber("moe_intermediate_size", c.MoeIntermediateSize);
        json.WriteNumber("moe_layer_freq", 1);
        json.WriteNumber("n_group", c.NGroup);
        json.WriteNumber("n_routed_experts", c.NRoutedExperts);
        json.WriteNumber("n_shared_experts", c.NSharedExperts);
        json.WriteBoolean("norm_topk_prob", c.NormTopkProb);
        json.WriteNumber("num_attention_heads", c.NumAttentionHeads);
        json.WriteNumber("num_experts_per_tok", c.NumExpertsPerTok);
        json.WriteNumber("num_hidden_layers", c.NumHiddenLayers);
        json.WriteNumber("num_key_value_heads", c.NumAttentionHeads);
        json.WriteNumber("num_nextn_predict_layers", c.NumNextnPredictLayers);
        json.WriteNumber("q_lora_rank", c.QLoraRank);
        json.WriteNumber("qk_nope_head_dim", c.QkNopeHeadDim);
        json.WriteNumber("qk_rope_head_dim", c.QkRopeHeadDim);
        if (c.Quantization is { } quantization)
        {
            json.WriteStartObject("quantization_config");
            json.WriteString("activation_scheme", "dynamic");
            json.WriteString("fmt", "e4m3");
            json.WriteString("quant_method", "fp8");
            json.WriteStartArray("weight_block_size");
            json.WriteNumberValue(quantization.BlockRows);
            json.WriteNumberValue(quantization.BlockColumns);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteNumber("rms_norm_eps", c.RmsNormEps);
        if (c.RopeScaling is { } yarn)
        {
            json.WriteStartObject("rope_scaling");
            json.WriteNumber("beta_fast", yarn.BetaFast);
            json.WriteNumber("beta_slow", yarn.BetaSlow);
            json.WriteNumber("factor", yarn.Factor);
            json.WriteNumber("mscale", yarn.Mscale);
            json.WriteNumber("mscale_all_dim", yarn.MscaleAllDim);
            json.WriteNumber("original_max_position_embeddings", yarn.OriginalMaxPositionEmbeddings);
            json.WriteString("type", "yarn");
            json.WriteEndObject();
        }

        json.WriteNumber("rope_theta", c.RopeTheta);
        json.WriteNumber("routed_scaling_factor", c.RoutedScalingFactor);
        json.WriteString("scoring_func", "sigmoid");
        json.WriteBoolean("seq_aux", true);
        json.WriteBoolean("tie_word_embeddings", false);
        json.WriteNumber("topk_group", c.TopkGroup);
        json.WriteString("topk_method", "noaux_tc");
        json.WriteString("torch_dtype", "bfloat16");
        json.WriteString("transformers_version", "4.46.3");
        json.WriteBoolean("use_cache", true);
        json.WriteNumber("v_head_dim", c.VHeadDim);
        json.WriteNumber("vocab_size", c.VocabSize);
        json.WriteEndObject();
    }
}
