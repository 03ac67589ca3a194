namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Pod.</summary>
public sealed class Pod : KubernetesObject
{
    public PodSpec? Spec { get; set; }

    public PodStatus? Status { get; set; }
}
