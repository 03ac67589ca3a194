namespace DeepSeekV3.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 NetworkPolicyPeer.</summary>
public sealed class NetworkPolicyPeer
{
    public LabelSelector? PodSelector { get; set; }

    public LabelSelector? NamespaceSelector { get; set; }
}
