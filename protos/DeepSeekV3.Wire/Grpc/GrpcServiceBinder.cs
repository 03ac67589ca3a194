using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// Binds handlers to method descriptors on ASP.NET Core routing: one POST endpoint per ":path". This is the one small
/// generic layer between Kestrel and every service; no service hand-writes framing.
/// </summary>
public sealed class GrpcServiceBinder(IEndpointRouteBuilder routes, GrpcServerOptions? options = null)
{
    private readonly GrpcServerOptions _options = options ?? new GrpcServerOptions();

    public GrpcServiceBinder Unary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Map(method, MethodType.Unary, async (call, context, requests) =>
            await call.WriteAsync(await handler(await SingleAsync(requests), context), context.CancellationToken));

    public GrpcServiceBinder ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method,
        ServerStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Map(method, MethodType.ServerStreaming, async (call, context, requests) =>
            await handler(await SingleAsync(requests), call, context));

    public GrpcServiceBinder ClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method,
        ClientStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Map(method, MethodType.ClientStreaming, async (call, context, requests) =>
            await call.WriteAsync(await handler(requests, context), context.CancellationToken));

    public GrpcServiceBinder DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method,
        DuplexStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        Map(method, MethodType.DuplexStreaming, (call, context, requests) => handler(requests, call, context));

    /// <summary>Answers every other "/{service}/{method}" with UNIMPLEMENTED (trailers-only), as gRPC servers must.</summary>
    public static void MapUnimplemented(IEndpointRouteBuilder routes) =>
        routes.MapPost("/{service}/{method}", context =>
        {
            context.Response.ContentType = GrpcProtocol.ContentType;
            context.Response.Headers[GrpcProtocol.StatusHeader] = ((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(
                $"Method {context.Request.Path} is unimplemented.");
            return Task.CompletedTask;
        });

    private GrpcServiceBinder Map<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected,
        Func<ServerCall<TRequest, TResponse>, ServerCallContext, IAsyncEnumerable<TRequest>, Task> body)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        if (method.Type != expected)
        {
            throw new ArgumentException($"{method.FullName} is {method.Type}, not {expected}", nameof(method));
        }

        routes.MapPost(method.FullName, (RequestDelegate)(context =>
        {
            var call = new ServerCall<TRequest, TResponse>(context, method, _options);
            return call.RunAsync((callContext, requests) => body(call, callContext, requests));
        }));
        return this;
    }

    private static async Task<T> SingleAsync<T>(IAsyncEnumerable<T> requests)
    {
        T? first = default;
        bool found = false;
        await foreach (var request in requests)
        {
            if (found)
            {
                throw new RpcException(StatusCode.Internal, "More than one request message on a unary or server-streaming call.");
            }

            first = request;
            found = true;
        }

        return found ? first! : throw new RpcException(StatusCode.Internal, "No request message on a unary or server-streaming call.");
    }
}
