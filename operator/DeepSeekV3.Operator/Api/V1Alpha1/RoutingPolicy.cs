using System.Text.Json.Serialization;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Router policy.")]
[JsonConverter(typeof(JsonStringEnumConverter<RoutingPolicy>))]
public enum RoutingPolicy
{
    CacheAware,
    LeastLoaded,
    RoundRobin,
}
