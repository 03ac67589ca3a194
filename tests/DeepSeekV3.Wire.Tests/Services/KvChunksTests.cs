using System.Text;
using DeepSeekV3.Wire.Services;
using Google.Protobuf;

namespace DeepSeekV3.Wire.Tests.Services;

public sealed class KvChunksTests
{
    [Fact]
    public void Crc32C_KnownAnswer() => Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Split_LayerRows_StaysBelowTheBudgetAndReassemblesExactly()
    {
        const int RowLength = 576, Positions = 300, Budget = 64 * 1024;
        var rows = Enumerable.Range(0, Positions * RowLength).Select(i => i * 0.25f).ToArray();

        var chunks = KvChunks.Split(layer: 7, startPosition: 100, rows, RowLength, Budget).ToArray();

        Assert.All(chunks, c => Assert.True(c.CalculateSize() < Budget, $"{c.CalculateSize()} bytes"));
        Assert.Equal(Enumerable.Range(0, chunks.Length).Select(i => 100 + (i * chunks[0].Positions)), chunks.Select(c => c.StartPosition));
        Assert.Equal(rows, chunks.SelectMany(c => KvChunks.Verify(c, RowLength)));
    }

    [Fact]
    public void Verify_CorruptedOrMisshapenChunk_IsRefused()
    {
        var chunk = KvChunks.Split(0, 0, new float[4 * 8], 8, 1 << 20).Single();
        var corrupted = chunk.Clone();
        var bytes = corrupted.Rows.Data.ToByteArray();
        bytes[5] ^= 1;
        corrupted.Rows.Data = ByteString.CopyFrom(bytes);

        Assert.Contains("checksum mismatch", Assert.Throws<InvalidDataException>(() => KvChunks.Verify(corrupted, 8)).Message, StringComparison.Ordinal);
        Assert.Contains("expected F32 [4, 16]", Assert.Throws<InvalidDataException>(() => KvChunks.Verify(chunk, 16)).Message, StringComparison.Ordinal);
    }
}
