namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 HostPathVolumeSource.</summary>
public sealed class HostPathVolumeSource
{
    public string Path { get; set; } = "";

    public string? Type { get; set; }
}
