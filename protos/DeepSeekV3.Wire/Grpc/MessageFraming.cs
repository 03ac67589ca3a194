using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// gRPC's length-prefixed messages (PROTOCOL-HTTP2.md "Length-Prefixed-Message"): a Compressed-Flag byte (0 or 1),
/// a 4-byte big-endian Message-Length, then the message. Every malformed input becomes an <see cref="RpcException"/>
/// with the status the spec implies; nothing is buffered beyond one message.
/// </summary>
public static class MessageFraming
{
    public const int HeaderSize = 5;
    public const string Gzip = "gzip";

    /// <summary>One message's payload, or null at a clean end of stream (no byte of a next message).</summary>
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, int maxMessageSize, string? encoding, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        int read = await ReadFullyAsync(stream, header, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderSize)
        {
            throw new RpcException(StatusCode.Internal, "Incomplete message: the stream ended inside a message header.");
        }

        byte flag = header[0];
        if (flag > 1)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid compressed flag {flag} in a message header.");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > maxMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxMessageSize}).");
        }

        var payload = new byte[length];
        if (await ReadFullyAsync(stream, payload, cancellationToken) < length)
        {
            throw new RpcException(StatusCode.Internal, $"Incomplete message: the stream ended inside a {length}-byte message.");
        }

        if (flag == 0)
        {
            return payload;
        }

        // "A Compressed-Flag value of 1 indicates that the binary octet sequence of Message is compressed using the
        // mechanism declared by the Message-Encoding header."
        if (!string.Equals(encoding, Gzip, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Internal,
                $"A compressed message arrived but grpc-encoding is '{encoding ?? "identity"}'.");
        }

        return Decompress(payload, maxMessageSize);
    }

    /// <summary>Writes the 5-byte prefix of a message of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length, bool compressed)
    {
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }

    /// <summary>The framed bytes of <paramref name="payload"/>, gzip-compressed when asked.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, bool compress)
    {
        byte[] body = compress ? Compress(payload) : payload.ToArray();
        var framed = new byte[HeaderSize + body.Length];
        framed[0] = compress ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)body.Length);
        body.CopyTo(framed, HeaderSize);
        return framed;
    }

    private static async ValueTask<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static byte[] Compress(ReadOnlySpan<byte> payload)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(payload);
        }

        return output.ToArray();
    }

    private static byte[] Decompress(byte[] payload, int maxMessageSize)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
                if (output.Length > maxMessageSize)
                {
                    throw new RpcException(StatusCode.ResourceExhausted, $"Decompressed message larger than max ({maxMessageSize}).");
                }
            }

            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid gzip message: {e.Message}");
        }
    }
}
