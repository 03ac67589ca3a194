namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// A tensor to be written: its header entry, and a callback that streams exactly its bytes when its turn comes,
/// so a writer never holds more than one tensor's data.
/// </summary>
public sealed record PendingTensor(string Name, SafetensorsDtype Dtype, long[] Shape, Action<Stream> WriteData)
{
    public long ByteLength => Shape.Aggregate(1L, (product, dim) => product * dim) * SafetensorsDtypes.SizeInBytes(Dtype);
}
