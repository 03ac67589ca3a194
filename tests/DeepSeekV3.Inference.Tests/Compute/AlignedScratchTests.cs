using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

public sealed unsafe class AlignedScratchTests
{
    [Fact]
    public void Get_StartsOn64Bytes_AndGrowsWithoutLosingWhatCallersHold()
    {
        float[]? buffer = null;
        var small = AlignedScratch.Get(ref buffer, 100);
        small.Fill(3f);
        var first = buffer;

        var same = AlignedScratch.Get(ref buffer, 2000); // fits: the same buffer, the same start
        var large = AlignedScratch.Get(ref buffer, 100_000); // does not: a new buffer
        large.Fill(5f);

        Assert.Equal(100, small.Length);
        Assert.Equal(100_000, large.Length);
        fixed (float* a = small)
        fixed (float* b = same)
        fixed (float* c = large)
        {
            Assert.Equal(0, (long)a % 64);
            Assert.Equal(0, (long)c % 64);
            Assert.Equal((long)a, (long)b);
        }

        Assert.NotSame(first, buffer);
        Assert.All(small.ToArray(), value => Assert.Equal(3f, value)); // the old buffer, still held through the span
        Assert.All(large.ToArray(), value => Assert.Equal(5f, value));
    }
}
