namespace DeepSeekV3.Kubernetes.Models;

/// <summary>coordination.k8s.io/v1 Lease: the leader-election lock.</summary>
public sealed class Lease : KubernetesObject
{
    public LeaseSpec? Spec { get; set; }
}
