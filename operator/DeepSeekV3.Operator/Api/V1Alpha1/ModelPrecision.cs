using System.Text.Json.Serialization;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

/// <summary>Checkpoint numeric precision; FP8 stores one byte per weight, BF16 two.</summary>
[Description("Checkpoint precision.")]
[JsonConverter(typeof(JsonStringEnumConverter<ModelPrecision>))]
public enum ModelPrecision
{
    [JsonStringEnumMemberName("fp8")]
    Fp8,

    [JsonStringEnumMemberName("bf16")]
    Bf16,
}
