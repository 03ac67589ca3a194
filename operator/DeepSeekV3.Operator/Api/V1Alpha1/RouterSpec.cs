using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("The OpenAI-compatible router.")]
public sealed class RouterSpec
{
    [Default("2")]
    [Minimum(0)]
    [Maximum(256)]
    [Description("Router pods.")]
    public int Replicas { get; set; } = 2;

    [Default("\"CacheAware\"")]
    [Description("How the router picks a prefill group: CacheAware (longest cached prefix, then load), LeastLoaded, or RoundRobin.")]
    public RoutingPolicy RoutingPolicy { get; set; } = RoutingPolicy.CacheAware;

    [Default("8000")]
    [Minimum(1)]
    [Maximum(65535)]
    [Description("Port of the OpenAI API on the router Service.")]
    public int Port { get; set; } = 8000;

    [Description("Secret key holding the accepted API keys, comma-separated (passed as DSV3_API_KEYS). Without it the API is open.")]
    public SecretKeyReference? ApiKeySecret { get; set; }

    [Description("CPU and memory for each router pod.")]
    public ResourceRequirements? Resources { get; set; }
}
