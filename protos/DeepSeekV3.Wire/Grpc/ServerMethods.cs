namespace DeepSeekV3.Wire.Grpc;

/// <summary>Handler of a unary call.</summary>
public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);

/// <summary>Handler of a server-streaming call.</summary>
public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responses,
    ServerCallContext context);

/// <summary>Handler of a client-streaming call.</summary>
public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests,
    ServerCallContext context);

/// <summary>Handler of a bidirectional-streaming call.</summary>
public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests,
    IServerStreamWriter<TResponse> responses, ServerCallContext context);
