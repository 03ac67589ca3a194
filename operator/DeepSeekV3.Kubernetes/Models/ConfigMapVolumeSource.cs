namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ConfigMapVolumeSource.</summary>
public sealed class ConfigMapVolumeSource
{
    public string Name { get; set; } = "";
}
