namespace DeepSeekV3.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 NetworkPolicyIngressRule: traffic from any of From to any of Ports.</summary>
public sealed class NetworkPolicyIngressRule
{
    public List<NetworkPolicyPeer>? From { get; set; }

    public List<NetworkPolicyPort>? Ports { get; set; }
}
