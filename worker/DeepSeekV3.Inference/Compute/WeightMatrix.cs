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

    /// <summary>The scales of the row of scale blocks that weight row <paramref name="row"/> lies in (FP8 only).</summary>
    public float* ScaleRow(int row) => BlockScales + ((long)(row / BlockRows) * ScaleColumns);

    /// <summary>Bytes a kernel streams to read the whole matrix once (weights plus scales).</summary>
    public long StoredBytes => Format switch
    {
        WeightFormat.F32 => 4L * Rows * Columns,
        WeightFormat.BF16 => 2L * Rows * Columns,
        _ => (long)Rows * Columns + 4L * ((Rows + BlockRows - 1) / BlockRows) * ScaleColumns,
    };

    /// <summary>Writes row <paramref name="row"/> as float32 into <paramref name="destination"/> [Columns].</summary>
    public void DequantizeRow(int row, Span<float> destination) => DequantizeRange(row, 0, destination[..Columns]);

    /// <summary>Writes W[row, start .. start + destination.Length) as float32 into <paramref name="destination"/>.</summary>
    public void DequantizeRange(int row, int start, Span<float> destination)
    {
        int count = destination.Length;
        if ((uint)row >= (uint)Rows || start < 0 || start + count > Columns)
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"row {row}, columns [{start}, {start + count}) outside [{Rows}, {Columns}]");
        }

        long first = ((long)row * Columns) + start;
        switch (Format)
        {
            case WeightFormat.F32:
                new ReadOnlySpan<float>(Data + (first * 4), count).CopyTo(destination);
                break;
            case WeightFormat.BF16:
                WidenBFloat16(new ReadOnlySpan<ushort>(Data + (first * 2), count), destination);
                break;
            default:
                DequantizeFloat8Range(row, start, destination);
                break;
        }
    }

    private void DequantizeFloat8Range(int row, int start, Span<float> destination)
    {
        var codes = new ReadOnlySpan<byte>(Data + ((long)row * Columns) + start, destination.Length);
        var scales = new ReadOnlySpan<float>(ScaleRow(row), ScaleColumns);
        int end = start + destination.Length;
        for (int column = start; column < end;)
        {
            // Up to the end of this column's scale block.
            int blockEnd = Math.Min(((column / BlockColumns) + 1) * BlockColumns, end);
            Float8E4M3.DecodeScaled(codes[(column - start)..(blockEnd - start)], scales[column / BlockColumns],
                destination[(column - start)..(blockEnd - start)]);
            column = blockEnd;
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
