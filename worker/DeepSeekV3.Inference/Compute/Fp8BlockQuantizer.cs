namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Quantizes a float32 [rows, columns] weight the way DeepSeek's FP8 release is stored: per block, scale =
/// max|w| / 448 (the e4m3 maximum), code = nearest e4m3(w / scale). The stored <c>weight_scale_inv</c> is that
/// scale: dequantization multiplies by it.
/// </summary>
public static class Fp8BlockQuantizer
{
    /// <summary>Block scales [ceil(rows / blockRows), ceil(columns / blockColumns)].</summary>
    public static float[] Scales(ReadOnlySpan<float> weight, int rows, int columns, int blockRows, int blockColumns)
    {
        int scaleRows = (rows + blockRows - 1) / blockRows, scaleColumns = (columns + blockColumns - 1) / blockColumns;
        var maxima = new float[scaleRows * scaleColumns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                int block = ((i / blockRows) * scaleColumns) + (j / blockColumns);
                maxima[block] = MathF.Max(maxima[block], MathF.Abs(weight[(i * columns) + j]));
            }
        }

        for (int b = 0; b < maxima.Length; b++)
        {
            maxima[b] = maxima[b] > 0 ? maxima[b] / Float8E4M3.MaxFinite : 1f;
        }

        return maxima;
    }

    /// <summary>e4m3 codes [rows, columns] of <paramref name="weight"/> divided by its block scale.</summary>
    public static byte[] Codes(ReadOnlySpan<float> weight, int rows, int columns, int blockRows, int blockColumns,
        ReadOnlySpan<float> scales)
    {
        int scaleColumns = (columns + blockColumns - 1) / blockColumns;
        var codes = new byte[rows * columns];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float scale = scales[((i / blockRows) * scaleColumns) + (j / blockColumns)];
                codes[(i * columns) + j] = Float8E4M3.FromSingle(weight[(i * columns) + j] / scale);
            }
        }

        return codes;
    }
}
