using DeepSeekV3.Wire.Grpc;
using Google.Protobuf;
using Grpc.Testing;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>
/// The standard gRPC interop test cases (grpc/grpc doc/interop-test-descriptions.md) run by our client against any
/// TestService server; each asserts what the description requires.
/// </summary>
internal static class InteropClient
{
    public static readonly string[] Cases =
    [
        "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
        "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server", "status_code_and_message",
        "special_status_message", "custom_metadata", "unimplemented_method", "unimplemented_service",
    ];

    private const string SpecialMessage = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
    private static readonly int[] s_requestSizes = [27182, 8, 1828, 45904];
    private static readonly int[] s_responseSizes = [31415, 9, 2653, 58979];

    public static async Task RunAsync(GrpcChannel channel, string testCase)
    {
        switch (testCase)
        {
            case "empty_unary":
                Assert.Equal(new Empty(), await channel.UnaryAsync(TestServiceMethods.EmptyCall, new Empty()));
                break;
            case "large_unary":
                var large = await channel.UnaryAsync(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseSize = 314159, Payload = Zeros(271828) });
                Assert.Equal(314159, large.Payload.Body.Length);
                break;
            case "client_streaming":
                var aggregated = await channel.ClientStreamingAsync(TestServiceMethods.StreamingInputCall,
                    s_requestSizes.Select(size => new StreamingInputCallRequest { Payload = Zeros(size) }).ToAsyncEnumerable());
                Assert.Equal(74922, aggregated.AggregatedPayloadSize);
                break;
            case "server_streaming":
                var request = new StreamingOutputCallRequest();
                request.ResponseParameters.AddRange(s_responseSizes.Select(size => new ResponseParameters { Size = size }));
                var sizes = new List<int>();
                await foreach (var response in channel.ServerStreamingAsync(TestServiceMethods.StreamingOutputCall, request))
                {
                    sizes.Add(response.Payload.Body.Length);
                }

                Assert.Equal(s_responseSizes, sizes);
                break;
            case "ping_pong":
                await PingPongAsync(channel);
                break;
            case "empty_stream":
                using (var call = channel.Start(TestServiceMethods.FullDuplexCall))
                {
                    await call.CompleteRequestsAsync();
                    Assert.Empty(await ReadAllAsync(call));
                }

                break;
            case "cancel_after_begin":
                await CancelAfterBeginAsync(channel);
                break;
            case "cancel_after_first_response":
                await CancelAfterFirstResponseAsync(channel);
                break;
            case "timeout_on_sleeping_server":
                await TimeoutOnSleepingServerAsync(channel);
                break;
            case "status_code_and_message":
                await StatusCodeAndMessageAsync(channel, "test status message");
                break;
            case "special_status_message":
                await StatusCodeAndMessageAsync(channel, SpecialMessage);
                break;
            case "custom_metadata":
                await CustomMetadataAsync(channel);
                break;
            case "unimplemented_method":
                Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() =>
                    channel.UnaryAsync(TestServiceMethods.UnimplementedCall, new Empty()))).StatusCode);
                break;
            case "unimplemented_service":
                Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() =>
                    channel.UnaryAsync(TestServiceMethods.UnimplementedService, new Empty()))).StatusCode);
                break;
            default:
                throw new ArgumentException($"unknown interop case {testCase}", nameof(testCase));
        }
    }

    private static async Task PingPongAsync(GrpcChannel channel)
    {
        using var call = channel.Start(TestServiceMethods.FullDuplexCall);
        var responses = call.ReadAllAsync().GetAsyncEnumerator();
        for (int i = 0; i < s_requestSizes.Length; i++)
        {
            var request = new StreamingOutputCallRequest { Payload = Zeros(s_requestSizes[i]) };
            request.ResponseParameters.Add(new ResponseParameters { Size = s_responseSizes[i] });
            await call.WriteAsync(request);
            Assert.True(await responses.MoveNextAsync());
            Assert.Equal(s_responseSizes[i], responses.Current.Payload.Body.Length);
        }

        await call.CompleteRequestsAsync();
        Assert.False(await responses.MoveNextAsync());
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    private static async Task CancelAfterBeginAsync(GrpcChannel channel)
    {
        using var cancellation = new CancellationTokenSource();
        using var call = channel.Start(TestServiceMethods.StreamingInputCall, new CallOptions(CancellationToken: cancellation.Token));
        await cancellation.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    private static async Task CancelAfterFirstResponseAsync(GrpcChannel channel)
    {
        using var cancellation = new CancellationTokenSource();
        using var call = channel.Start(TestServiceMethods.FullDuplexCall, new CallOptions(CancellationToken: cancellation.Token));
        var request = new StreamingOutputCallRequest { Payload = Zeros(27182) };
        request.ResponseParameters.Add(new ResponseParameters { Size = 31415 });
        await call.WriteAsync(request);
        var responses = call.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await responses.MoveNextAsync());
        await cancellation.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await responses.MoveNextAsync());
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    private static async Task TimeoutOnSleepingServerAsync(GrpcChannel channel)
    {
        using var call = channel.Start(TestServiceMethods.FullDuplexCall, new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(1)));
        try
        {
            await call.WriteAsync(new StreamingOutputCallRequest { Payload = Zeros(27182) });
        }
        catch (RpcException)
        {
            // The deadline may already have passed while writing: the case only checks the final status.
        }
        catch (OperationCanceledException)
        {
            // Same.
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    private static async Task StatusCodeAndMessageAsync(GrpcChannel channel, string message)
    {
        var status = new EchoStatus { Code = 2, Message = message };
        var unary = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseStatus = status }));
        Assert.Equal(new Status(StatusCode.Unknown, message), unary.Status);

        using var call = channel.Start(TestServiceMethods.FullDuplexCall);
        await call.WriteAsync(new StreamingOutputCallRequest { ResponseStatus = status });
        await call.CompleteRequestsAsync();
        var duplex = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call));
        Assert.Equal(new Status(StatusCode.Unknown, message), duplex.Status);
    }

    private static async Task CustomMetadataAsync(GrpcChannel channel)
    {
        byte[] trailingValue = [0xab, 0xab, 0xab];
        var headers = new Metadata { { "x-grpc-test-echo-initial", "test_initial_metadata_value" }, { "x-grpc-test-echo-trailing-bin", trailingValue } };

        using (var unary = channel.Start(TestServiceMethods.UnaryCall, new CallOptions(headers)))
        {
            await unary.WriteAsync(new SimpleRequest { ResponseSize = 314159, Payload = Zeros(271828) });
            await unary.CompleteRequestsAsync();
            Assert.Single(await ReadAllAsync(unary));
            Assert.Equal("test_initial_metadata_value", unary.ResponseHeaders!.GetValue("x-grpc-test-echo-initial"));
            Assert.Equal(trailingValue, unary.Trailers.GetValueBytes("x-grpc-test-echo-trailing-bin"));
        }

        using var duplex = channel.Start(TestServiceMethods.FullDuplexCall, new CallOptions(headers));
        var request = new StreamingOutputCallRequest { Payload = Zeros(271828) };
        request.ResponseParameters.Add(new ResponseParameters { Size = 314159 });
        await duplex.WriteAsync(request);
        await duplex.CompleteRequestsAsync();
        Assert.Single(await ReadAllAsync(duplex));
        Assert.Equal("test_initial_metadata_value", duplex.ResponseHeaders!.GetValue("x-grpc-test-echo-initial"));
        Assert.Equal(trailingValue, duplex.Trailers.GetValueBytes("x-grpc-test-echo-trailing-bin"));
    }

    private static async Task<List<TResponse>> ReadAllAsync<TRequest, TResponse>(ClientCall<TRequest, TResponse> call)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        var responses = new List<TResponse>();
        await foreach (var response in call.ReadAllAsync())
        {
            responses.Add(response);
        }

        return responses;
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };
}
