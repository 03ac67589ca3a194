namespace DeepSeekV3.Kubernetes.Models;

/// <summary>apps/v1 Deployment.</summary>
public sealed class Deployment : KubernetesObject
{
    public DeploymentSpec? Spec { get; set; }

    public DeploymentStatus? Status { get; set; }
}
