namespace DeepSeekV3.Kubernetes.Models;

/// <summary>autoscaling/v1 ScaleSpec.</summary>
public sealed class ScaleSpec
{
    public int Replicas { get; set; }
}
