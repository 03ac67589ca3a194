using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Tests.Bench;

public class BandwidthProbeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Triad_EveryLengthAndStart_WritesBPlusScalarTimesC_AndNothingElse(bool nonTemporal)
    {
        // Starts 0-17 floats into the buffer put the first non-temporal store anywhere relative to a 64-byte line, and the
        // lengths cover no vector, one, several and ragged tails; the guard elements either side must stay as they were.
        var random = new Random(7);
        for (int start = 0; start < 18; start++)
        {
            foreach (int length in new[] { 0, 1, 7, 15, 16, 17, 31, 33, 64, 100, 257 })
            {
                var b = RandomFloats(random, start + length + 1);
                var c = RandomFloats(random, start + length + 1);
                var a = Enumerable.Repeat(-1f, start + length + 1).ToArray();

                BandwidthProbe.Triad(b.AsSpan(start, length), c.AsSpan(start, length), 3f, a.AsSpan(start, length), nonTemporal);

                for (int i = 0; i < a.Length; i++)
                {
                    float expected = i >= start && i < start + length ? MathF.FusedMultiplyAdd(c[i], 3f, b[i]) : -1f;
                    // Fused or not (the scalar head and tail round the product first), within float rounding of the terms.
                    float scale = i >= start && i < start + length ? Math.Abs(b[i]) + Math.Abs(3f * c[i]) : 1f;
                    Assert.True(Math.Abs(a[i] - expected) <= 1e-6f * scale,
                        $"start {start}, length {length}, element {i}: {a[i]} instead of {expected}");
                }
            }
        }
    }

    [Fact]
    public void Triad_ArraysOfDifferentLengths_Throws() =>
        Assert.Throws<ArgumentException>(() => BandwidthProbe.Triad(new float[4], new float[3], 3f, new float[4], nonTemporal: false));

    [Fact]
    public void Sample_MeasuresEachProbe_AsAPositiveRate()
    {
        using var probe = new BandwidthProbe(threads: 2);

        var sample = probe.Sample();

        // Any machine moves more than 100 MB/s and none a petabyte per second: a zero, negative or absurd figure means
        // a probe timed nothing or divided wrongly.
        foreach (double rate in new[] { sample.Triad, sample.TriadOrdinaryStores, sample.Read })
        {
            Assert.InRange(rate, 1e8, 1e15);
        }
    }

    private static float[] RandomFloats(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 200 - 100)).ToArray();
}
