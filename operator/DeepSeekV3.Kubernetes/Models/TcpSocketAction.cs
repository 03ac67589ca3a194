namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 TCPSocketAction.</summary>
public sealed class TcpSocketAction
{
    public IntOrString Port { get; set; }
}
