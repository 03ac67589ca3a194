namespace DeepSeekV3.Kubernetes.Models;

/// <summary>autoscaling/v1 Scale: what `kubectl scale` and the HPA read and write through a /scale subresource.</summary>
public sealed class Scale : KubernetesObject
{
    public ScaleSpec Spec { get; set; } = new();

    public ScaleStatus? Status { get; set; }
}
