using System.Net;
using System.Threading.Channels;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// The body of a client call: framed messages written to HTTP/2 DATA frames as the caller produces them, flushed one by
/// one, the stream ended (END_STREAM) when the caller completes. This is what makes client and duplex streaming live.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly ChannelReader<byte[]> _frames;

    public StreamingRequestContent(ChannelReader<byte[]> frames)
    {
        _frames = frames;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await foreach (var frame in _frames.ReadAllAsync(cancellationToken))
        {
            await stream.WriteAsync(frame, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
