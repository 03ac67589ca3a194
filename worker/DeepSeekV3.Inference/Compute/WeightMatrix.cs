using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// A row-major [Rows, Columns] weight as stored in the checkpoint (nn.Linear layout: [out, in]), pointing into
/// memory the owner keeps alive (a mapped safetensors file or pinned memory). FP8 weights carry their block
/// scales: <c>W[i][j] = e4m3fn(code[i][j]) · scale[i / BlockRows][j / BlockColumns]</c>, computed in float32
/// exactly as DeepSeek's <c>weight_dequant</c> does; edge blocks may be partial.
/// </summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(WeightFormat format, int rows, int columns, void* data, float* blockScales = null,
        int blockRows = 128, int blockColumns = 128)
    {
        if (format == WeightFormat.F8E4M3Blocked && blockScales == null)
        {
            throw new ArgumentException("an FP8 weight needs its block scales", nameof(blockScales));
        }

        Format = format;
        Rows = rows;
        Columns = columns;
        Data = (byte*)data;
        BlockScales = blockScales;
        BlockRows = blockRows;
        BlockColumns = blockColumns;
    }

    public WeightFormat Format { get; }

    public int Rows { get; }

    public int Columns { get; }

    public byte* Data { get; }

    /// <summary>[ceil(Rows / BlockRows), ceil(Columns / BlockColumns)] float32, FP8 only.</summary>
    public float* BlockScales { get; }

    public int BlockRows { get; }

    public int BlockColumns { get; }

    /// <summary>Rows · Columns: the multiply-adds of one token through this weight.</summary>
    public long Elements => (long)Rows * Columns;

    public int ScaleColumns => (Columns + BlockColumns - 1) / BlockColumns;

    /// <summary>Bytes a kernel streams to read the whole matrix once (weights plus scales).</summary>
    public long StoredBytes => Format switch
    {
        WeightFormat.F32 => 4L * Rows * Columns,
        WeightFormat.BF16 => 2L * Rows * Columns,
        _ => (long)Rows * Columns + 4L * ((Rows + BlockRows - 1) / BlockRows) * ScaleColumns,
    };

    /// <summary>Writes row <paramref name="row"/> as float32 into <paramref name="destination"/> [Columns].</summary>
    public void DequantizeRow(int row, Span<float> destination)
    {
        int columns = Columns;
        destination = destination[..columns];
        switch (Format)
        {
            case WeightFormat.F32:
                new ReadOnlySpan<float>(Data + (long)row * columns * 4, columns).CopyTo(destination);
                break;
            case WeightFormat.BF16:
                WidenBFloat16(new ReadOnlySpan<ushort>(Data + (long)row * columns * 2, columns), destination);
                break;
            default:
                DequantizeFloat8Row(row, destination);
                break;
        }
    }

    private void DequantizeFloat8Row(int row, Span<float> destination)
    {
        var codes = new ReadOnlySpan<byte>(Data + (long)row * Columns, Columns);
        var scales = new ReadOnlySpan<float>(BlockScales + (long)(row / BlockRows) * ScaleColumns, ScaleColumns);
        for (int block = 0; block < scales.Length; block++)
        {
            int start = block * BlockColumns;
            int end = Math.Min(start + BlockColumns, Columns);
            Float8E4M3.DecodeScaled(codes[start..end], scales[block], destination[start..end]);
        }
    }

    /// <summary>bf16 → float32 is a 16-bit left shift of the bits; exact.</summary>
    private static void WidenBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var wide = MemoryMarshal.Cast<float, uint>(destination);
        TensorPrimitives.ConvertChecked<ushort, uint>(source, wide);
        TensorPrimitives.ShiftLeft(wide, 16, wide);
    }
}
