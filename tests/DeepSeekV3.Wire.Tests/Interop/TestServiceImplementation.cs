using DeepSeekV3.Wire.Grpc;
using Google.Protobuf;
using Grpc.Testing;
using Microsoft.AspNetCore.Routing;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>grpc.testing.TestService on our transport, behaving as the interop spec's reference server does.</summary>
internal static class TestServiceImplementation
{
    private const string EchoInitial = "x-grpc-test-echo-initial";
    private const string EchoTrailing = "x-grpc-test-echo-trailing-bin";

    public static void Bind(IEndpointRouteBuilder routes)
    {
        new GrpcServiceBinder(routes)
            .Unary(TestServiceMethods.EmptyCall, (_, _) => Task.FromResult(new Empty()))
            .Unary(TestServiceMethods.UnaryCall, UnaryCall)
            .ServerStreaming(TestServiceMethods.StreamingOutputCall, StreamingOutputCall)
            .ClientStreaming(TestServiceMethods.StreamingInputCall, StreamingInputCall)
            .DuplexStreaming(TestServiceMethods.FullDuplexCall, FullDuplexCall);
        GrpcServiceBinder.MapUnimplemented(routes);
    }

    private static Task<SimpleResponse> UnaryCall(SimpleRequest request, ServerCallContext context)
    {
        EchoMetadata(context);
        ThrowIfStatus(request.ResponseStatus);
        return Task.FromResult(new SimpleResponse { Payload = Zeros(request.ResponseSize) });
    }

    private static async Task StreamingOutputCall(StreamingOutputCallRequest request, IServerStreamWriter<StreamingOutputCallResponse> responses,
        ServerCallContext context)
    {
        foreach (var parameters in request.ResponseParameters)
        {
            await Task.Delay(TimeSpan.FromMicroseconds(parameters.IntervalUs), context.CancellationToken);
            await responses.WriteAsync(new StreamingOutputCallResponse { Payload = Zeros(parameters.Size) });
        }

        ThrowIfStatus(request.ResponseStatus);
    }

    private static async Task<StreamingInputCallResponse> StreamingInputCall(IAsyncEnumerable<StreamingInputCallRequest> requests, ServerCallContext context)
    {
        int total = 0;
        await foreach (var request in requests.WithCancellation(context.CancellationToken))
        {
            total += request.Payload?.Body.Length ?? 0;
        }

        return new StreamingInputCallResponse { AggregatedPayloadSize = total };
    }

    private static async Task FullDuplexCall(IAsyncEnumerable<StreamingOutputCallRequest> requests,
        IServerStreamWriter<StreamingOutputCallResponse> responses, ServerCallContext context)
    {
        EchoMetadata(context);
        await foreach (var request in requests.WithCancellation(context.CancellationToken))
        {
            ThrowIfStatus(request.ResponseStatus);
            foreach (var parameters in request.ResponseParameters)
            {
                await Task.Delay(TimeSpan.FromMicroseconds(parameters.IntervalUs), context.CancellationToken);
                await responses.WriteAsync(new StreamingOutputCallResponse { Payload = Zeros(parameters.Size) });
            }
        }
    }

    private static void EchoMetadata(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue(EchoInitial) is { } initial)
        {
            context.ResponseHeaders.Add(EchoInitial, initial);
        }

        if (context.RequestHeaders.GetValueBytes(EchoTrailing) is { } trailing)
        {
            context.ResponseTrailers.Add(EchoTrailing, trailing);
        }
    }

    private static void ThrowIfStatus(EchoStatus? status)
    {
        if (status is { Code: not 0 })
        {
            throw new RpcException((StatusCode)status.Code, status.Message);
        }
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };
}
