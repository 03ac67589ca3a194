using System.Text.Json;
using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// A DeepSeek-V3 config.json (Hugging Face <c>DeepseekV3Config</c> field names in PascalCase). Parsing refuses
/// other architectures and inconsistent values with a message that names the field, so a wrong checkpoint fails
/// at load instead of producing a silently wrong model.
/// </summary>
public sealed record ModelConfig
{
    public const string ModelType = "deepseek_v3";
    public const string Architecture = "DeepseekV3ForCausalLM";

    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MoeIntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NSharedExperts { get; init; }
    public required int NRoutedExperts { get; init; }
    public required double RoutedScalingFactor { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QLoraRank { get; init; }
    public required int QkRopeHeadDim { get; init; }
    public required int QkNopeHeadDim { get; init; }
    public required int VHeadDim { get; init; }
    public required int NGroup { get; init; }
    public required int TopkGroup { get; init; }
    public required int NumExpertsPerTok { get; init; }
    public required int FirstKDenseReplace { get; init; }
    public required bool NormTopkProb { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required int NumNextnPredictLayers { get; init; }
    public required int BosTokenId { get; init; }
    public required int EosTokenId { get; init; }
    public RopeScaling? RopeScaling { get; init; }
    public Fp8Quantization? Quantization { get; init; }

    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    public bool IsMoeLayer(int layer) => layer >= FirstKDenseReplace;

    /// <summary>Reads and validates <c>config.json</c> in <paramref name="modelDirectory"/>.</summary>
    public static ModelConfig Load(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found (a Hugging Face checkpoint needs config.json)");
        }

        return Parse(File.ReadAllText(path), "config.json");
    }

    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{source}: not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{source}: not a JSON object");
            }

            var config = FromJson(new ConfigJson(document.RootElement, source));
            ModelConfigValidator.Validate(config, source);
            return config;
        }
    }

    private static ModelConfig FromJson(ConfigJson json)
    {
        string modelType = json.String("model_type");
        if (modelType != ModelType)
        {
            throw json.Error("model_type", $"is '{modelType}'; only '{ModelType}' checkpoints are supported");
        }

        if (json.Has("architectures"))
        {
            var architectures = json.Element("architectures", JsonValueKind.Array).EnumerateArray()
                .Select(a => a.GetString()).ToArray();
            if (!architectures.Contains(Architecture))
            {
                throw json.Error("architectures", $"is [{string.Join(", ", architectures)}]; expected {Architecture}");
            }
        }

        RequireValue(json, "hidden_act", "silu");
        RequireValue(json, "scoring_func", "sigmoid");
        RequireValue(json, "topk_method", "noaux_tc");
        if (json.Int("moe_layer_freq", 1) != 1)
        {
            throw json.Error("moe_layer_freq", "must be 1 (every layer after first_k_dense_replace is MoE)");
        }

        if (json.Bool("tie_word_embeddings", false))
        {
            throw json.Error("tie_word_embeddings", "must be false: DeepSeek-V3 has its own lm_head");
        }

        if (!json.Has("q_lora_rank"))
        {
            throw json.Error("q_lora_rank", "is missing: DeepSeek-V3 projects queries through a low rank");
        }

        int heads = json.Int("num_attention_heads");
        if (json.Int("num_key_value_heads", heads) != heads)
        {
            throw json.Error("num_key_value_heads", "must equal num_attention_heads: MLA has no grouped-query attention");
        }

        return new ModelConfig
        {
            VocabSize = json.Int("vocab_size"),
            HiddenSize = json.Int("hidden_size"),
            IntermediateSize = json.Int("intermediate_size"),
            MoeIntermediateSize = json.Int("moe_intermediate_size"),
            NumHiddenLayers = json.Int("num_hidden_layers"),
            NumAttentionHeads = heads,
            NSharedExperts = json.Int("n_shared_experts"),
            NRoutedExperts = json.Int("n_routed_experts"),
            RoutedScalingFactor = json.Double("routed_scaling_factor"),
            KvLoraRank = json.Int("kv_lora_rank"),
            QLoraRank = json.Int("q_lora_rank"),
            QkRopeHeadDim = json.Int("qk_rope_head_dim"),
            QkNopeHeadDim = json.Int("qk_nope_head_dim"),
            VHeadDim = json.Int("v_head_dim"),
            NGroup = json.Int("n_group"),
            TopkGroup = json.Int("topk_group"),
            NumExpertsPerTok = json.Int("num_experts_per_tok"),
            FirstKDenseReplace = json.Int("first_k_dense_replace"),
            NormTopkProb = json.Bool("norm_topk_prob", true),
            RmsNormEps = json.Double("rms_norm_eps"),
            RopeTheta = json.Double("rope_theta"),
            MaxPositionEmbeddings = json.Int("max_position_embeddings"),
            NumNextnPredictLayers = json.Int("num_nextn_predict_layers", 0),
            BosTokenId = json.Int("bos_token_id", 0),
            EosTokenId = json.Int("eos_token_id", 1),
            RopeScaling = ReadRopeScaling(json),
            Quantization = ReadQuantization(json),
        };
    }

    private static RopeScaling? ReadRopeScaling(ConfigJson json)
    {
        if (json.Object("rope_scaling") is not { } scaling)
        {
            return null;
        }

        string type = scaling.String("type", scaling.String("rope_type", ""));
        if (type != "yarn")
        {
            throw json.Error("rope_scaling", $"type '{type}' is not supported; DeepSeek-V3 uses 'yarn'");
        }

        return new RopeScaling(
            scaling.Double("factor"),
            scaling.Int("original_max_position_embeddings"),
            scaling.Double("beta_fast", 32),
            scaling.Double("beta_slow", 1),
            scaling.Double("mscale", 1),
            scaling.Double("mscale_all_dim", 0));
    }

    private static Fp8Quantization? ReadQuantization(ConfigJson json)
    {
        if (json.Object("quantization_config") is not { } quantization)
        {
            return null;
        }

        string method = quantization.String("quant_method");
        if (method != "fp8")
        {
            throw json.Error("quantization_config", $"quant_method '{method}' is not supported; expected 'fp8'");
        }

        string format = quantization.String("fmt", "e4m3");
        if (format != "e4m3")
        {
            throw json.Error("quantization_config", $"fmt '{format}' is not supported; expected 'e4m3'");
        }

        var block = quantization.Element("weight_block_size", JsonValueKind.Array).EnumerateArray()
            .Select(e => e.TryGetInt32(out int v) ? v : 0).ToArray();
        if (block.Length != 2 || block[0] <= 0 || block[1] <= 0)
        {
            throw json.Error("quantization_config", "weight_block_size must be two positive integers");
        }

        return new Fp8Quantization(block[0], block[1]);
    }

    private static void RequireValue(ConfigJson json, string field, string expected)
    {
        string actual = json.String(field, expected);
        if (actual != expected)
        {
            throw json.Error(field, $"is '{actual}'; DeepSeek-V3 uses '{expected}'");
        }
    }
}
