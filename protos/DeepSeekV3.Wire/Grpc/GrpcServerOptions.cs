namespace DeepSeekV3.Wire.Grpc;

/// <summary>Limits of a gRPC server (the defaults of grpc-dotnet: 4 MiB in, unlimited out).</summary>
public sealed record GrpcServerOptions
{
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>Where finished calls are counted; none by default.</summary>
    public Metrics.GrpcMetrics? Metrics { get; init; }
}
