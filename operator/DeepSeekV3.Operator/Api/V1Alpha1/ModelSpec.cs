using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("The model to serve. Every DeepSeek-V3-family checkpoint (V3, V3-0324, R1, V3.1) has the same architecture, whose dimensions the operator knows.")]
public sealed class ModelSpec
{
    [Required]
    [MaxLength(253)]
    [Pattern("^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]
    [Description("Served model name: the `model` field clients send and /v1/models lists, e.g. deepseek-v3.")]
    public string Name { get; set; } = "";

    [Default("\"fp8\"")]
    [Description("Precision of the checkpoint's weights: fp8 (DeepSeek's native block-quantized E4M3) or bf16.")]
    public ModelPrecision Precision { get; set; } = ModelPrecision.Fp8;

    [Required]
    [Description("Where the checkpoint (a Hugging Face directory) comes from. Exactly one of pvc, hostPath or uri.")]
    public ModelSource Source { get; set; } = new();
}
