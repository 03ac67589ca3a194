using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>What a server handler knows about its call: request metadata, deadline, cancellation, and the trailers it adds.</summary>
public sealed class ServerCallContext
{
    private readonly HttpContext _http;

    internal ServerCallContext(HttpContext http, string method, Metadata requestHeaders, DateTime deadline, CancellationToken cancellationToken)
    {
        _http = http;
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    public string Method { get; }

    public Metadata RequestHeaders { get; }

    /// <summary>UTC; <see cref="DateTime.MaxValue"/> when the client set none.</summary>
    public DateTime Deadline { get; }

    /// <summary>Cancelled when the client cancels or disconnects, or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    public Metadata ResponseHeaders { get; } = [];

    public Metadata ResponseTrailers { get; } = [];

    public string Peer => $"{_http.Connection.RemoteIpAddress}:{_http.Connection.RemotePort}";
}
