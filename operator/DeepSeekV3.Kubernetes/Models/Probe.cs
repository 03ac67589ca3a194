namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Probe.</summary>
public sealed class Probe
{
    public GrpcAction? Grpc { get; set; }

    public HttpGetAction? HttpGet { get; set; }

    public TcpSocketAction? TcpSocket { get; set; }

    public int? InitialDelaySeconds { get; set; }

    public int? PeriodSeconds { get; set; }

    public int? TimeoutSeconds { get; set; }

    public int? SuccessThreshold { get; set; }

    public int? FailureThreshold { get; set; }
}
