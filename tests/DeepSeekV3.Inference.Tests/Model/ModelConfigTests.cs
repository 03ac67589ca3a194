using System.Text.Json.Nodes;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tests.Golden;

namespace DeepSeekV3.Inference.Tests.Model;

public sealed class ModelConfigTests
{
    [Fact]
    public void Load_GoldenConfig_ReadsRealFieldNames()
    {
        var config = ModelConfig.Load(Path.Combine(GoldenCase.Root, "tiny-fp8"));

        Assert.Equal(192, config.HiddenSize);
        Assert.Equal(4, config.NGroup);
        Assert.Equal(2.5, config.RoutedScalingFactor);
        Assert.Equal(new RopeScaling(4, 32, 32, 1, 1, 1), config.RopeScaling);
        Assert.Equal(new Fp8Quantization(128, 128), config.Quantization);
        Assert.Equal(1, config.NumNextnPredictLayers);
    }

    [Theory]
    [InlineData("model_type", "\"llama\"", "field 'model_type' is 'llama'; only 'deepseek_v3'")]
    [InlineData("architectures", "[\"LlamaForCausalLM\"]", "field 'architectures' is [LlamaForCausalLM]")]
    [InlineData("n_group", "3", "field 'n_group' is 3; it must divide n_routed_experts (16)")]
    [InlineData("topk_group", "5", "field 'topk_group' is 5; it cannot exceed n_group (4)")]
    [InlineData("num_experts_per_tok", "9", "field 'num_experts_per_tok' is 9; the 2 kept groups hold only 8 experts")]
    [InlineData("qk_rope_head_dim", "15", "field 'qk_rope_head_dim' is 15; RoPE rotates pairs")]
    [InlineData("first_k_dense_replace", "7", "field 'first_k_dense_replace' is 7")]
    [InlineData("hidden_size", "\"192\"", "field 'hidden_size' must be a number, not string")]
    [InlineData("hidden_size", "0", "field 'hidden_size' is 0; it must be positive")]
    [InlineData("hidden_size", "null", "field 'hidden_size' is missing")]
    [InlineData("scoring_func", "\"softmax\"", "field 'scoring_func' is 'softmax'; DeepSeek-V3 uses 'sigmoid'")]
    [InlineData("num_key_value_heads", "2", "field 'num_key_value_heads' must equal num_attention_heads")]
    [InlineData("rope_scaling", "{\"type\": \"linear\", \"factor\": 2}", "rope_scaling' type 'linear' is not supported")]
    public void Parse_BadField_NamesTheField(string field, string json, string expected)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenCase.Root, "tiny-fp8", "config.json")))!.AsObject();
        config[field] = JsonNode.Parse(json);

        var error = Assert.Throws<CheckpointException>(() => ModelConfig.Parse(config.ToJsonString()));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_SaysSo()
    {
        var error = Assert.Throws<CheckpointException>(() => ModelConfig.Parse("{\"vocab_size\": "));

        Assert.Contains("config.json: not valid JSON", error.Message, StringComparison.Ordinal);
    }
}
