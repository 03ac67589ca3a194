namespace DeepSeekV3.Kubernetes.Models;

/// <summary>networking.k8s.io/v1 NetworkPolicyPort.</summary>
public sealed class NetworkPolicyPort
{
    public string? Protocol { get; set; }

    public IntOrString? Port { get; set; }
}
