namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 DeploymentSpec.</summary>
public sealed class DeploymentSpec
{
    public int? Replicas { get; set; }

    public LabelSelector? Selector { get; set; }

    public PodTemplateSpec Template { get; set; } = new();

    public DeploymentStrategy? Strategy { get; set; }
}
