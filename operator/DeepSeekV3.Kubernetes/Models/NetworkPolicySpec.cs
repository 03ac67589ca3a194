namespace DeepSeekV3.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 NetworkPolicySpec: traffic not allowed by some rule is denied once a policy selects a pod.</summary>
public sealed class NetworkPolicySpec
{
    public LabelSelector PodSelector { get; set; } = new();

    public List<string>? PolicyTypes { get; set; }

    public List<NetworkPolicyIngressRule>? Ingress { get; set; }
}
