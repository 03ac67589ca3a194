namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 RollingUpdateDeployment.</summary>
public sealed class RollingUpdateDeployment
{
    public IntOrString? MaxUnavailable { get; set; }

    public IntOrString? MaxSurge { get; set; }
}
