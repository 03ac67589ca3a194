using System.Buffers.Binary;
using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Wire.Tests.Grpc;

public sealed class MessageFramingTests
{
    /// <summary>A stream that hands out at most one byte per read: every header and body arrives split.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }

    [Fact]
    public async Task Read_MessagesSplitIntoSingleBytes_AreReassembled()
    {
        byte[] stream = [.. MessageFraming.Frame([1, 2, 3], false), .. MessageFraming.Frame([], false), .. MessageFraming.Frame([9], false)];
        var trickle = new TrickleStream(stream);

        Assert.Equal(new byte[] { 1, 2, 3 }, await MessageFraming.ReadAsync(trickle, 100, null, default));
        Assert.Equal(Array.Empty<byte>(), await MessageFraming.ReadAsync(trickle, 100, null, default));
        Assert.Equal(new byte[] { 9 }, await MessageFraming.ReadAsync(trickle, 100, null, default));
        Assert.Null(await MessageFraming.ReadAsync(trickle, 100, null, default));
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 }, "inside a message header")]
    [InlineData(new byte[] { 0, 0, 0, 0, 4, 1, 2 }, "inside a 4-byte message")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0 }, "Invalid compressed flag 2")]
    [InlineData(new byte[] { 1, 0, 0, 0, 1, 7 }, "compressed message arrived but grpc-encoding is 'identity'")]
    public async Task Read_MalformedFrame_IsInternal(byte[] bytes, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(new MemoryStream(bytes), 100, null, default).AsTask());

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_LengthAboveLimit_IsResourceExhaustedBeforeReadingTheBody()
    {
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 1_000_000);

        var error = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(new MemoryStream(header), 1000, null, default).AsTask());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("1000000 vs. 1000", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_GzipFrame_IsDecompressedAndItsSizeLimited()
    {
        var payload = new byte[5000];
        var framed = MessageFraming.Frame(payload, compress: true);

        Assert.Equal(1, framed[0]);
        Assert.True(framed.Length < payload.Length);
        Assert.Equal(payload, await MessageFraming.ReadAsync(new MemoryStream(framed), 10_000, "gzip", default));
        var error = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(new MemoryStream(framed), 1000, "gzip", default).AsTask());
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }
}
