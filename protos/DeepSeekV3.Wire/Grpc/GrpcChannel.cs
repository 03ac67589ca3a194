using System.Net;
using Google.Protobuf;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// A client connection to one gRPC server (HTTP/2 over HttpClient; many concurrent calls share one connection as
/// HTTP/2 streams). Every call shape is a <see cref="ClientCall{TRequest,TResponse}"/>; the helpers below cover the
/// common patterns.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _address;
    private readonly GrpcChannelOptions _options;

    public GrpcChannel(Uri address, GrpcChannelOptions? options = null)
    {
        _address = address;
        _options = options ?? new GrpcChannelOptions();
        var handler = _options.Handler ?? new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            // KV transfers stream megabytes per call: a 64 KiB starting window would stall them on flow control.
            InitialHttp2StreamWindowSize = 16 * 1024 * 1024,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestVersion = HttpVersion.Version20 };
    }

    public ClientCall<TRequest, TResponse> Start<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        new(_client, _address, method, _options, options);

    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = Start(method, options);
        await call.WriteAsync(request);
        await call.CompleteRequestsAsync();
        return await SingleAsync(call);
    }

    public async IAsyncEnumerable<TResponse> ServerStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request,
        CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = Start(method, options);
        await call.WriteAsync(request);
        await call.CompleteRequestsAsync();
        await foreach (var response in call.ReadAllAsync())
        {
            yield return response;
        }
    }

    public async Task<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests,
        CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        using var call = Start(method, options);
        await foreach (var request in requests)
        {
            await call.WriteAsync(request);
        }

        await call.CompleteRequestsAsync();
        return await SingleAsync(call);
    }

    public void Dispose() => _client.Dispose();

    private static async Task<TResponse> SingleAsync<TRequest, TResponse>(ClientCall<TRequest, TResponse> call)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        TResponse? result = default;
        int count = 0;
        await foreach (var response in call.ReadAllAsync())
        {
            result = response;
            count++;
        }

        return count == 1 ? result! : throw new RpcException(StatusCode.Internal, $"Expected one response message, got {count}.");
    }
}
