namespace DeepSeekV3.Wire.Grpc;

/// <summary>Settings of a client channel.</summary>
public sealed record GrpcChannelOptions
{
    /// <summary>The HTTP handler; by default a SocketsHttpHandler speaking HTTP/2 (h2c with prior knowledge on http://).</summary>
    public HttpMessageHandler? Handler { get; init; }

    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>gzip-compress request messages (grpc-encoding: gzip).</summary>
    public bool CompressRequests { get; init; }
}
