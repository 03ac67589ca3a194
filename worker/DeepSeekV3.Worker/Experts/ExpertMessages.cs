using System.Runtime.InteropServices;
using DeepSeekV3.Protos.V1;
using Google.Protobuf;

namespace DeepSeekV3.Worker.Experts;

/// <summary>F32 row tensors of the Expert stream: [rows, hidden] little-endian floats.</summary>
public static class ExpertMessages
{
    public static Tensor Rows(ReadOnlySpan<float> values, int rows, int hidden)
    {
        var tensor = new Tensor { Dtype = DType.F32, Data = ByteString.CopyFrom(MemoryMarshal.AsBytes(values[..(rows * hidden)])) };
        tensor.Shape.Add(rows);
        tensor.Shape.Add(hidden);
        return tensor;
    }

    /// <summary>The floats of a [rows, hidden] tensor, or an error naming what does not match.</summary>
    public static ReadOnlySpan<float> Read(Tensor? tensor, int rows, int hidden)
    {
        if (tensor is null || tensor.Dtype != DType.F32 || tensor.Shape.Count != 2 || tensor.Shape[0] != rows || tensor.Shape[1] != hidden
            || tensor.Data.Length != (long)rows * hidden * sizeof(float))
        {
            throw new FormatException($"expected an F32 tensor of [{rows}, {hidden}], got {(tensor is null ? "none" : $"{tensor.Dtype} [{string.Join(", ", tensor.Shape)}] of {tensor.Data.Length} bytes")}");
        }

        return MemoryMarshal.Cast<byte, float>(tensor.Data.Span);
    }
}
