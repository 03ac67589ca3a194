using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Google.Protobuf;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// One client call of any shape over HttpClient: request messages go out as they are written
/// (<see cref="WriteAsync"/>, <see cref="CompleteRequestsAsync"/>), response messages come in as they arrive
/// (<see cref="ReadAllAsync"/>), and the status comes from the trailers (or the headers of a trailers-only response).
/// The deadline travels as grpc-timeout and also cancels the call locally; disposing an unfinished call resets the
/// stream (RST_STREAM), which the server sees as cancellation.
/// </summary>
public sealed class ClientCall<TRequest, TResponse> : IDisposable
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    private readonly Method<TRequest, TResponse> _method;
    private readonly GrpcChannelOptions _options;
    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationTokenSource _deadlineTimer = new();
    private readonly Task<HttpResponseMessage> _response;
    private Status? _status;

    internal ClientCall(HttpClient client, Uri address, Method<TRequest, TResponse> method, GrpcChannelOptions options, CallOptions call)
    {
        _method = method;
        _options = options;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken, _deadlineTimer.Token);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StreamingRequestContent(_frames.Reader),
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
        request.Headers.TryAddWithoutValidation("user-agent", "grpc-dotnet-dsv3/1.0");
        if (options.CompressRequests)
        {
            request.Headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, MessageFraming.Gzip);
        }

        if (call.Deadline is { } deadline)
        {
            var remaining = deadline - DateTime.UtcNow;
            request.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(remaining));
            // The deadline's own timer, so an expiry is told apart from a cancellation whatever the clocks say.
            _deadlineTimer.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }

        foreach (var entry in call.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(entry.Key, entry.ValueBytes is { } bytes ? Convert.ToBase64String(bytes) : entry.Value);
        }

        _response = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _cancellation.Token);
    }

    public Metadata? ResponseHeaders { get; private set; }

    public Metadata Trailers { get; } = [];

    /// <summary>The final status, once the response has been read to its end.</summary>
    public Status GetStatus() => _status ?? throw new InvalidOperationException("the call has not finished");

    public async Task WriteAsync(TRequest message)
    {
        var payload = message.ToByteArray();
        if (payload.Length > _options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({payload.Length} vs. {_options.MaxSendMessageSize}).");
        }

        await _frames.Writer.WriteAsync(MessageFraming.Frame(payload, _options.CompressRequests), _cancellation.Token);
    }

    /// <summary>Ends the request stream (HTTP/2 END_STREAM): no more messages.</summary>
    public Task CompleteRequestsAsync()
    {
        _frames.Writer.TryComplete();
        return Task.CompletedTask;
    }

    /// <summary>Every response message; throws <see cref="RpcException"/> at the end unless the status is OK.</summary>
    public async IAsyncEnumerable<TResponse> ReadAllAsync()
    {
        var response = await Translate(_response);
        ResponseHeaders = ToMetadata(response.Headers);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Finish(new Status(GrpcProtocol.FromHttpStatus((int)response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}"));
        }

        if (StatusFrom(response.Headers) is { } trailersOnly)
        {
            // Trailers-Only: the status came with the headers and there is no body.
            AddTrailers(response.Headers);
            Finish(trailersOnly);
            yield break;
        }

        string? contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            Finish(new Status(StatusCode.Internal, $"Bad gRPC response. Invalid content-type value: {contentType}"));
        }

        string? encoding = response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var values) ? values.FirstOrDefault() : null;
        var stream = await Translate(response.Content.ReadAsStreamAsync(_cancellation.Token));
        while (await Translate(MessageFraming.ReadAsync(stream, _options.MaxReceiveMessageSize, encoding, _cancellation.Token).AsTask()) is { } payload)
        {
            yield return _method.ResponseParser.ParseFrom(payload);
        }

        AddTrailers(response.TrailingHeaders);
        var status = StatusFrom(response.TrailingHeaders)
            ?? new Status(StatusCode.Internal, "The response ended without a grpc-status trailer.");
        Finish(status);
    }

    /// <summary>Cancels the call (RST_STREAM); readers and writers see CANCELLED. Safe from any thread.</summary>
    public void Cancel() => _cancellation.Cancel();

    public void Dispose()
    {
        if (_status is null)
        {
            _cancellation.Cancel(); // RST_STREAM(CANCEL) for an unfinished call
        }

        _frames.Writer.TryComplete();
        _cancellation.Dispose();
        _deadlineTimer.Dispose();
        if (_response.IsCompletedSuccessfully)
        {
            _response.Result.Dispose();
        }
    }

    private void Finish(Status status)
    {
        _status = status;
        if (status.Code != StatusCode.OK)
        {
            throw new RpcException(status, Trailers);
        }
    }

    /// <summary>Maps transport failures to gRPC statuses: deadline, cancellation, a peer that went away.</summary>
    private async Task<T> Translate<T>(Task<T> operation)
    {
        try
        {
            return await operation;
        }
        catch (OperationCanceledException) when (_deadlineTimer.IsCancellationRequested)
        {
            _status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
            throw new RpcException(_status.Value);
        }
        catch (OperationCanceledException)
        {
            _status = new Status(StatusCode.Cancelled, "Call canceled by the client.");
            throw new RpcException(_status.Value);
        }
        catch (HttpRequestException e)
        {
            _status = new Status(StatusCode.Unavailable, $"Error connecting or talking to the server: {e.Message}");
            throw new RpcException(_status.Value);
        }
        catch (IOException e)
        {
            _status = new Status(StatusCode.Unavailable, $"The connection broke: {e.Message}");
            throw new RpcException(_status.Value);
        }
    }

    private static Status? StatusFrom(System.Net.Http.Headers.HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out var values))
        {
            return null;
        }

        string text = values.First();
        var code = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number) ? (StatusCode)number : StatusCode.Unknown;
        string detail = headers.TryGetValues(GrpcProtocol.MessageHeader, out var messages) ? GrpcProtocol.DecodeMessage(messages.First()) : "";
        return new Status(code, detail);
    }

    private void AddTrailers(System.Net.Http.Headers.HttpHeaders headers)
    {
        foreach (var entry in ToMetadata(headers))
        {
            if (entry.ValueBytes is { } bytes)
            {
                Trailers.Add(entry.Key, bytes);
            }
            else
            {
                Trailers.Add(entry.Key, entry.Value!);
            }
        }
    }

    private static Metadata ToMetadata(System.Net.Http.Headers.HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in headers)
        {
            string lower = key.ToLowerInvariant();
            if (lower.StartsWith("grpc-", StringComparison.Ordinal) || lower.StartsWith(':') || lower is "content-type" or "date" or "server")
            {
                continue;
            }

            foreach (string value in values)
            {
                if (lower.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal))
                {
                    metadata.Add(lower, ServerCall<TRequest, TResponse>.DecodeBase64(value));
                }
                else
                {
                    metadata.Add(lower, value);
                }
            }
        }

        return metadata;
    }
}
