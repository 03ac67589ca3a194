using System.Text.Json.Serialization;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Summary phase.")]
[JsonConverter(typeof(JsonStringEnumConverter<DeploymentPhase>))]
public enum DeploymentPhase
{
    Pending,
    Progressing,
    Available,
    Degraded,
    Invalid,
}
