using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// One server call from request headers to trailers, shared by all four call shapes (grpc-dotnet's ServerCallHandlerBase
/// in spirit): checks HTTP/2 and the content type, honours grpc-timeout and cancellation, reads and writes framed
/// messages, and ends with grpc-status / grpc-message trailers — or a trailers-only response when nothing was sent.
/// </summary>
internal sealed class ServerCall<TRequest, TResponse> : IServerStreamWriter<TResponse>
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    private readonly HttpContext _http;
    private readonly Method<TRequest, TResponse> _method;
    private readonly GrpcServerOptions _options;
    private ServerCallContext? _context;
    private bool _headersSent;

    public ServerCall(HttpContext http, Method<TRequest, TResponse> method, GrpcServerOptions options)
    {
        _http = http;
        _method = method;
        _options = options;
    }

    /// <summary>Runs <paramref name="body"/> as the call and writes its status.</summary>
    public async Task RunAsync(Func<ServerCallContext, IAsyncEnumerable<TRequest>, Task> body)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var status = await RunCallAsync(body);
        if (status is { } finished)
        {
            _options.Metrics?.Record(_method.FullName, finished.Code, System.Diagnostics.Stopwatch.GetElapsedTime(start));
        }
    }

    /// <summary>The call itself; its status, or null when the client went away before one could be sent.</summary>
    private async Task<Status?> RunCallAsync(Func<ServerCallContext, IAsyncEnumerable<TRequest>, Task> body)
    {
        var request = _http.Request;
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            // gRPC needs HTTP/2 (trailers, streams); 426 tells an HTTP/1.x client to upgrade.
            _http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return null;
        }

        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            // "If Content-Type does not begin with "application/grpc", gRPC servers SHOULD respond with HTTP status of
            // 415 (Unsupported Media Type)."
            _http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            var unsupported = new Status(StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported.");
            await WriteStatusAsync(unsupported, []);
            return unsupported;
        }

        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (encoding is not null && encoding != "identity" && encoding != MessageFraming.Gzip)
        {
            _http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
            var unsupported = new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}'.");
            await WriteStatusAsync(unsupported, []);
            return unsupported;
        }

        var deadline = DateTime.MaxValue;
        using var deadlineSource = new CancellationTokenSource();
        if (request.Headers.TryGetValue(GrpcProtocol.TimeoutHeader, out var timeoutText))
        {
            if (!GrpcProtocol.TryParseTimeout(timeoutText, out var timeout))
            {
                var invalid = new Status(StatusCode.Internal, $"Invalid grpc-timeout '{timeoutText}'.");
                await WriteStatusAsync(invalid, []);
                return invalid;
            }

            deadline = timeout >= DateTime.MaxValue - DateTime.UtcNow ? DateTime.MaxValue : DateTime.UtcNow + timeout;
            deadlineSource.CancelAfter(timeout > TimeSpan.FromDays(30) ? TimeSpan.FromDays(30) : timeout);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadlineSource.Token, _http.RequestAborted);
        _context = new ServerCallContext(_http, _method.FullName, RequestMetadata(request.Headers), deadline, linked.Token);
        _http.Response.ContentType = GrpcProtocol.ContentType;
        _http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;

        Status status;
        try
        {
            await body(_context, ReadRequestsAsync(encoding, linked.Token));
            status = Status.Ok;
        }
        catch (RpcException e)
        {
            status = e.Status;
            foreach (var entry in e.Trailers)
            {
                _context.ResponseTrailers.Add(entry.Key, entry.ValueBytes ?? []);
            }
        }
        catch (OperationCanceledException) when (deadlineSource.IsCancellationRequested)
        {
            status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        catch (OperationCanceledException) when (_http.RequestAborted.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "the client cancelled"); // nobody to send it to: the stream is reset
        }
        catch (IOException) when (_http.RequestAborted.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "the client went away");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Handler bugs become UNKNOWN, as grpc-dotnet reports them, without killing the server.
            status = new Status(StatusCode.Unknown, $"Exception was thrown by handler. {e.GetType().Name}: {e.Message}");
        }

        await WriteStatusAsync(status, _context.ResponseTrailers);
        return status;
    }

    public async Task WriteAsync(TResponse message, CancellationToken cancellationToken = default)
    {
        int size = message.CalculateSize();
        if (size > _options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {_options.MaxSendMessageSize}).");
        }

        await SendHeadersAsync();
        // Header and message are serialized straight into Kestrel's response pipe: no intermediate copy.
        var writer = _http.Response.BodyWriter;
        MessageFraming.WriteHeader(writer.GetSpan(MessageFraming.HeaderSize), size, compressed: false);
        writer.Advance(MessageFraming.HeaderSize);
        message.WriteTo(writer);
        await writer.FlushAsync(_context!.CancellationToken);
    }

    private async Task SendHeadersAsync()
    {
        if (_headersSent)
        {
            return;
        }

        _headersSent = true;
        foreach (var entry in _context!.ResponseHeaders)
        {
            _http.Response.Headers.Append(entry.Key, WireValue(entry));
        }

        await _http.Response.StartAsync();
    }

    private async IAsyncEnumerable<TRequest> ReadRequestsAsync(string? encoding,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await MessageFraming.ReadAsync(_http.Request.Body, _options.MaxReceiveMessageSize, encoding, cancellationToken) is { } payload)
        {
            TRequest message;
            try
            {
                message = _method.RequestParser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(StatusCode.Internal, $"Failed to deserialize the request message: {e.Message}");
            }

            yield return message;
        }
    }

    private async Task WriteStatusAsync(Status status, Metadata trailers)
    {
        var response = _http.Response;
        if (!_headersSent || !response.SupportsTrailers())
        {
            // Trailers-Only: "Response-Headers" and "Trailers" in one HEADERS frame that ends the stream.
            response.Headers[GrpcProtocol.StatusHeader] = ((int)status.Code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (status.Detail.Length > 0)
            {
                response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(status.Detail);
            }

            if (_context is not null)
            {
                foreach (var entry in _context.ResponseHeaders.Concat(trailers))
                {
                    response.Headers.Append(entry.Key, WireValue(entry));
                }
            }

            if (response.ContentType is null)
            {
                response.ContentType = GrpcProtocol.ContentType;
            }

            return;
        }

        response.AppendTrailer(GrpcProtocol.StatusHeader, ((int)status.Code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (status.Detail.Length > 0)
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, GrpcProtocol.EncodeMessage(status.Detail));
        }

        foreach (var entry in trailers)
        {
            response.AppendTrailer(entry.Key, WireValue(entry));
        }

        await Task.CompletedTask;
    }

    private static string WireValue(MetadataEntry entry) =>
        entry.ValueBytes is { } bytes ? Convert.ToBase64String(bytes) : entry.Value ?? "";

    /// <summary>Custom metadata of the request: every header but the HTTP/2 and gRPC reserved ones.</summary>
    private static Metadata RequestMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in headers)
        {
            string lower = key.ToLowerInvariant();
            if (lower.StartsWith(':') || lower.StartsWith("grpc-", StringComparison.Ordinal)
                || lower is "content-type" or "te" or "user-agent" or "host" or "accept-encoding" or "content-length")
            {
                continue;
            }

            foreach (string? value in values)
            {
                if (lower.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal))
                {
                    metadata.Add(lower, DecodeBase64(value ?? ""));
                }
                else
                {
                    metadata.Add(lower, value ?? "");
                }
            }
        }

        return metadata;
    }

    /// <summary>Binary values may arrive padded or unpadded ("Implementations MUST accept padded and un-padded values").</summary>
    internal static byte[] DecodeBase64(string value)
    {
        string padded = value.TrimEnd('=');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Convert.FromBase64String(padded);
    }
}
