namespace DeepSeekV3.Kubernetes.Models;

/// <summary>autoscaling/v1 ScaleStatus: Selector is the label selector in string form, for the HPA.</summary>
public sealed class ScaleStatus
{
    public int Replicas { get; set; }

    public string? Selector { get; set; }
}
