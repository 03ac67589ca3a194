using System.Runtime.InteropServices;
using DeepSeekV3.Protos.V1;
using Google.Protobuf;

namespace DeepSeekV3.Wire.Services;

/// <summary>
/// Cuts one layer's MLA cache rows ([positions, rowLength] float32) into <see cref="KvChunk"/> messages that each stay
/// below a message-size budget, each with its CRC-32C; and checks and reassembles them on the receiving side, so a
/// corrupted or incomplete transfer is detected before anything is decoded from it.
/// </summary>
public static class KvChunks
{
    // Room left for the chunk's other fields and the tensor's dtype and shape.
    private const int EnvelopeBytes = 256;

    public static IEnumerable<KvChunk> Split(int layer, int startPosition, ReadOnlyMemory<float> rows, int rowLength, int maxMessageBytes)
    {
        int positions = rows.Length / rowLength;
        int perChunk = Math.Max(1, (maxMessageBytes - EnvelopeBytes) / (rowLength * sizeof(float)));
        for (int first = 0; first < positions; first += perChunk)
        {
            int count = Math.Min(perChunk, positions - first);
            var bytes = MemoryMarshal.AsBytes(rows.Span.Slice(first * rowLength, count * rowLength));
            var tensor = new Tensor { Dtype = DType.F32, Data = ByteString.CopyFrom(bytes) };
            tensor.Shape.Add(count);
            tensor.Shape.Add(rowLength);
            yield return new KvChunk
            {
                Layer = layer,
                StartPosition = startPosition + first,
                Positions = count,
                Rows = tensor,
                Crc32C = Crc32C.Compute(bytes),
            };
        }
    }

    /// <summary>The rows of a chunk as floats, after checking shape and checksum.</summary>
    public static float[] Verify(KvChunk chunk, int rowLength)
    {
        var tensor = chunk.Rows ?? throw new InvalidDataException($"KV chunk of layer {chunk.Layer} has no rows");
        if (tensor.Dtype != DType.F32 || tensor.Shape.Count != 2 || tensor.Shape[0] != chunk.Positions || tensor.Shape[1] != rowLength
            || tensor.Data.Length != chunk.Positions * rowLength * sizeof(float))
        {
            throw new InvalidDataException(
                $"KV chunk of layer {chunk.Layer} at {chunk.StartPosition}: expected F32 [{chunk.Positions}, {rowLength}], got {tensor.Dtype} [{string.Join(", ", tensor.Shape)}]");
        }

        if (Crc32C.Compute(tensor.Data.Span) != chunk.Crc32C)
        {
            throw new InvalidDataException($"KV chunk of layer {chunk.Layer} at {chunk.StartPosition}: checksum mismatch");
        }

        return MemoryMarshal.Cast<byte, float>(tensor.Data.Span).ToArray();
    }
}
