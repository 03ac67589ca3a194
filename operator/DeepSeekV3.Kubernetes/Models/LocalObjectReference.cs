namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 LocalObjectReference.</summary>
public sealed class LocalObjectReference
{
    public string Name { get; set; } = "";
}
