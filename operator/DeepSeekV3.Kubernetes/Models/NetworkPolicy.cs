namespace DeepSeekV3.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 NetworkPolicy.</summary>
public sealed class NetworkPolicy : KubernetesObject
{
    public NetworkPolicySpec? Spec { get; set; }
}
