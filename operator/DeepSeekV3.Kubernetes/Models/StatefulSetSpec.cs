namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 StatefulSetSpec.</summary>
public sealed class StatefulSetSpec
{
    public int? Replicas { get; set; }

    public string? ServiceName { get; set; }

    public LabelSelector? Selector { get; set; }

    public PodTemplateSpec Template { get; set; } = new();

    /// <summary>"Parallel" starts every rank at once; ranks wait for each other anyway.</summary>
    public string? PodManagementPolicy { get; set; }

    public StatefulSetUpdateStrategy? UpdateStrategy { get; set; }
}
