namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The obvious, slow version of each kernel (llm.c keeps one beside every fast kernel): scalar loops, double
/// accumulation, no shared code with <see cref="CpuBackend"/>. Tests check the fast kernels against these.
/// </summary>
public static unsafe class NaiveKernels
{
    /// <summary>The whole matrix as float32 [Rows, Columns], decoded from the raw stored bytes.</summary>
    public static float[] Dequantize(in WeightMatrix weight)
    {
        var result = new float[(long)weight.Rows * weight.Columns];
        for (int i = 0; i < weight.Rows; i++)
        {
            for (int j = 0; j < weight.Columns; j++)
            {
                long index = ((long)i * weight.Columns) + j;
                result[index] = weight.Format switch
                {
                    WeightFormat.F32 => ((float*)weight.Data)[index],
                    WeightFormat.BF16 => BitConverter.Int32BitsToSingle(((ushort*)weight.Data)[index] << 16),
                    _ => DecodeE4M3(weight.Data[index])
                        * weight.BlockScales[((i / weight.BlockRows) * weight.ScaleColumns) + (j / weight.BlockColumns)],
                };
            }
        }

        return result;
    }

    /// <summary>y[n, rows] = x[n, columns] · Wᵀ.</summary>
    public static float[] Linear(float[] x, int n, in WeightMatrix weight)
    {
        var w = Dequantize(weight);
        var y = new float[n * weight.Rows];
        for (int t = 0; t < n; t++)
        {
            for (int r = 0; r < weight.Rows; r++)
            {
                double sum = 0;
                for (int k = 0; k < weight.Columns; k++)
                {
                    sum += (double)x[(t * weight.Columns) + k] * w[((long)r * weight.Columns) + k];
                }

                y[(t * weight.Rows) + r] = (float)sum;
            }
        }

        return y;
    }

    /// <summary>y[n, columns] = x[n, rows] · W.</summary>
    public static float[] LinearTransposed(float[] x, int n, in WeightMatrix weight)
    {
        var w = Dequantize(weight);
        var y = new float[n * weight.Columns];
        for (int t = 0; t < n; t++)
        {
            for (int k = 0; k < weight.Columns; k++)
            {
                double sum = 0;
                for (int r = 0; r < weight.Rows; r++)
                {
                    sum += (double)x[(t * weight.Rows) + r] * w[((long)r * weight.Columns) + k];
                }

                y[(t * weight.Columns) + k] = (float)sum;
            }
        }

        return y;
    }

    public static float[] RmsNorm(float[] x, int n, float[] weight, float eps)
    {
        int d = weight.Length;
        var y = new float[n * d];
        for (int t = 0; t < n; t++)
        {
            double sumSquares = 0;
            for (int i = 0; i < d; i++)
            {
                sumSquares += (double)x[(t * d) + i] * x[(t * d) + i];
            }

            double inverse = 1 / Math.Sqrt((sumSquares / d) + eps);
            for (int i = 0; i < d; i++)
            {
                y[(t * d) + i] = (float)(x[(t * d) + i] * inverse * weight[i]);
            }
        }

        return y;
    }

    /// <summary>e4m3fn straight from its definition: bias 7, subnormals at exponent 0, 0x7F/0xFF NaN.</summary>
    public static float DecodeE4M3(byte code)
    {
        int sign = (code & 0x80) != 0 ? -1 : 1;
        int exponent = (code >> 3) & 0xF;
        int mantissa = code & 0x7;
        if (exponent == 0xF && mantissa == 0x7)
        {
            return float.NaN;
        }

        double value = exponent == 0 ? mantissa / 8.0 * Math.Pow(2, -6) : (1 + (mantissa / 8.0)) * Math.Pow(2, exponent - 7);
        return (float)(sign * value);
    }
}
