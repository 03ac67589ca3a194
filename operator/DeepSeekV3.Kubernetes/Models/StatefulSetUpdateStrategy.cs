namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 StatefulSetUpdateStrategy: "RollingUpdate" or "OnDelete".</summary>
public sealed class StatefulSetUpdateStrategy
{
    public string? Type { get; set; }
}
