using DeepSeekV3.Wire.Grpc;
using Grpc.Testing;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>Method descriptors of grpc.testing.TestService (and one that no server implements).</summary>
internal static class TestServiceMethods
{
    public const string Service = "grpc.testing.TestService";

    public static readonly Method<Empty, Empty> EmptyCall = new(Service, "EmptyCall", MethodType.Unary, Empty.Parser, Empty.Parser);
    public static readonly Method<SimpleRequest, SimpleResponse> UnaryCall = new(Service, "UnaryCall", MethodType.Unary, SimpleRequest.Parser, SimpleResponse.Parser);
    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> StreamingOutputCall =
        new(Service, "StreamingOutputCall", MethodType.ServerStreaming, StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);
    public static readonly Method<StreamingInputCallRequest, StreamingInputCallResponse> StreamingInputCall =
        new(Service, "StreamingInputCall", MethodType.ClientStreaming, StreamingInputCallRequest.Parser, StreamingInputCallResponse.Parser);
    public static readonly Method<StreamingOutputCallRequest, StreamingOutputCallResponse> FullDuplexCall =
        new(Service, "FullDuplexCall", MethodType.DuplexStreaming, StreamingOutputCallRequest.Parser, StreamingOutputCallResponse.Parser);
    public static readonly Method<Empty, Empty> UnimplementedCall = new(Service, "UnimplementedCall", MethodType.Unary, Empty.Parser, Empty.Parser);
    public static readonly Method<Empty, Empty> UnimplementedService =
        new("grpc.testing.UnimplementedService", "UnimplementedCall", MethodType.Unary, Empty.Parser, Empty.Parser);
}
