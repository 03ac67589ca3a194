namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 GRPCAction: the kubelet calls grpc.health.v1.Health/Check.</summary>
public sealed class GrpcAction
{
    public int Port { get; set; }

    public string? Service { get; set; }
}
