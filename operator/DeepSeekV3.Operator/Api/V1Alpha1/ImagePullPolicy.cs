using System.Text.Json.Serialization;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

/// <summary>core/v1 PullPolicy values.</summary>
[Description("Image pull policy.")]
[JsonConverter(typeof(JsonStringEnumConverter<ImagePullPolicy>))]
public enum ImagePullPolicy
{
    Always,
    IfNotPresent,
    Never,
}
