namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// One tensor's header entry: its dtype, shape, and where its bytes lie in the file's data section.
/// </summary>
public sealed record TensorInfo(string Name, SafetensorsDtype Dtype, long[] Shape, long DataBegin, long DataEnd)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);

    public long ByteLength => DataEnd - DataBegin;

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
