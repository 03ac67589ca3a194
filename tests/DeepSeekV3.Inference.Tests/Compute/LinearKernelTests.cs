using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

/// <summary>The register-tiled panel product: every output it owns, and nothing else in y.</summary>
public sealed class LinearKernelTests
{
    private const float Untouched = -12345f;

    [Theory]
    [InlineData(4, 4, 288)]  // decode attention's scores: whole 16-column steps, the tile stores vectors
    [InlineData(4, 8, 16)]
    [InlineData(4, 5, 64)]   // a token past the last whole tile of 4
    [InlineData(4, 4, 300)]  // a 12-column tail after the vectors
    [InlineData(4, 1, 7)]    // shorter than one vector
    [InlineData(3, 4, 288)]  // a partial panel takes the one-row path
    public void Multiply_WritesEachTokensRowsAtTheOffset_AndNothingElse(int rows, int n, int k)
    {
        const int yStride = 11, rowOffset = 5;
        var random = new Random(rows * 1000 + n * 100 + k);
        var panel = Values(random, rows * k);
        var x = Values(random, n * k);
        var y = new float[n * yStride];
        Array.Fill(y, Untouched);

        LinearKernel.Multiply(panel, rows, x, n, k, y, yStride, rowOffset);

        for (int t = 0; t < n; t++)
        {
            for (int column = 0; column < yStride; column++)
            {
                float actual = y[(t * yStride) + column];
                int r = column - rowOffset;
                if (r < 0 || r >= rows)
                {
                    Assert.Equal(Untouched, actual);
                    continue;
                }

                double expected = 0;
                for (int i = 0; i < k; i++)
                {
                    expected += (double)panel[(r * k) + i] * x[(t * k) + i];
                }

                Assert.True(Math.Abs(actual - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)),
                    $"token {t}, row {r}: {actual}, expected {expected}");
            }
        }
    }

    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }

        return values;
    }
}
