namespace DeepSeekV3.Wire.Grpc;

/// <summary>Writes response messages of a server-streaming or duplex call, in order.</summary>
public interface IServerStreamWriter<in T>
{
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
