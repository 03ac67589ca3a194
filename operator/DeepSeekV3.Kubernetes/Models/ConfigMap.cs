namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ConfigMap: the topology a group reads at start.</summary>
public sealed class ConfigMap : KubernetesObject
{
    public Dictionary<string, string>? Data { get; set; }
}
