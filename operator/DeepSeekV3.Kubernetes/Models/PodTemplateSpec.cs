namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 PodTemplateSpec.</summary>
public sealed class PodTemplateSpec
{
    public ObjectMeta? Metadata { get; set; }

    public PodSpec? Spec { get; set; }
}
