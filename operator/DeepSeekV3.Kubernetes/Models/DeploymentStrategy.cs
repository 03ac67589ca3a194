namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 DeploymentStrategy.</summary>
public sealed class DeploymentStrategy
{
    public string? Type { get; set; }

    public RollingUpdateDeployment? RollingUpdate { get; set; }
}
