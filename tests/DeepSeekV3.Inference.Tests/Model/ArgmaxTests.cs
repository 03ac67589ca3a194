using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Inference.Tests.Model;

/// <summary>GreedyGenerator.Argmax against a plain loop with torch.argmax's rules, on the vector path and its tail.</summary>
public sealed class ArgmaxTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(16384)]
    [InlineData(129280)]
    public void Argmax_RandomLogits_IsTheFirstLargest(int length)
    {
        var random = new Random(length);
        var logits = new float[length];
        for (int i = 0; i < length; i++)
        {
            // Coarse values, so the largest one repeats in the longer rows: the first occurrence must win.
            logits[i] = random.Next(-40, 41) / 10f;
        }

        Assert.Equal(FirstLargest(logits), GreedyGenerator.Argmax(logits));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(20)]
    [InlineData(47)]
    public void Argmax_LargestOnlyInTheTail_IsFound(int length)
    {
        var logits = Enumerable.Repeat(-1f, length).ToArray();
        logits[length - 1] = 2f;

        Assert.Equal(length - 1, GreedyGenerator.Argmax(logits));
    }

    [Fact]
    public void Argmax_TieOfMinusAndPlusZero_IsTheFirst()
    {
        var logits = Enumerable.Repeat(-1f, 40).ToArray();
        logits[21] = -0f;
        logits[33] = 0f;

        Assert.Equal(21, GreedyGenerator.Argmax(logits));
    }

    [Fact]
    public void Argmax_WithNaN_IsTheFirstNaN()
    {
        var logits = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        logits[40] = float.NaN;
        logits[50] = float.NaN;

        Assert.Equal(40, GreedyGenerator.Argmax(logits));
    }

    [Fact]
    public void Argmax_Empty_IsZero() => Assert.Equal(0, GreedyGenerator.Argmax([]));

    private static int FirstLargest(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
