namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ResourceRequirements: quantities as strings ("8", "64Gi").</summary>
public sealed class ResourceRequirements
{
    public Dictionary<string, string>? Requests { get; set; }

    public Dictionary<string, string>? Limits { get; set; }
}
