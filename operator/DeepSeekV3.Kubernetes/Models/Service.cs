using System.Text.Json;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Service.</summary>
public sealed class Service : KubernetesObject
{
    public ServiceSpec? Spec { get; set; }

    /// <summary>Load-balancer status, passed through.</summary>
    public JsonElement? Status { get; set; }
}
