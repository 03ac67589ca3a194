using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>The prefill side of a disaggregated request failed (the decode side is then cancelled).</summary>
public sealed class PrefillFailedException : Exception
{
    public PrefillFailedException(RpcException innerException)
        : base($"prefill failed: {innerException.Status.Detail}", innerException)
    {
        Status = innerException.Status;
    }

    public PrefillFailedException()
    {
    }

    public PrefillFailedException(string message)
        : base(message)
    {
    }

    public PrefillFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public Status Status { get; }
}
