using Google.Protobuf;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// A method descriptor: service and method names (the HTTP/2 ":path" is "/{service}/{method}"), the call shape and
/// the message parsers. One per RPC, usually built from the generated message types' parsers.
/// </summary>
public sealed record Method<TRequest, TResponse>(string ServiceName, string Name, MethodType Type,
    MessageParser<TRequest> RequestParser, MessageParser<TResponse> ResponseParser)
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public string FullName => $"/{ServiceName}/{Name}";
}
