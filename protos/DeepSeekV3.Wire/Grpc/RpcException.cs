namespace DeepSeekV3.Wire.Grpc;

/// <summary>A call ended with a non-OK status; thrown by clients, and by server handlers to choose the status.</summary>
public sealed class RpcException : Exception
{
    public RpcException(Status status, Metadata? trailers = null)
        : base(status.ToString())
    {
        Status = status;
        Trailers = trailers ?? [];
    }

    public RpcException(StatusCode code, string detail)
        : this(new Status(code, detail))
    {
    }

    public RpcException()
        : this(new Status(StatusCode.Unknown, ""))
    {
    }

    public RpcException(string message)
        : this(new Status(StatusCode.Unknown, message))
    {
    }

    public RpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = new Status(StatusCode.Unknown, message);
        Trailers = [];
    }

    public Status Status { get; }

    public StatusCode StatusCode => Status.Code;

    public Metadata Trailers { get; }
}
