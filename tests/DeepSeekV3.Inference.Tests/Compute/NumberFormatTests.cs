using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

public sealed class NumberFormatTests
{
    [Fact]
    public void Float8E4M3_DecodeTable_MatchesDefinitionForAll256Codes()
    {
        for (int code = 0; code < 256; code++)
        {
            float expected = NaiveKernels.DecodeE4M3((byte)code);
            float actual = Float8E4M3.ToSingle((byte)code);
            Assert.True(expected.Equals(actual), $"code 0x{code:X2}: {actual} != {expected}");
        }
    }

    [Fact]
    public void Float8E4M3_DecodeScaled_VectorPathEqualsTableTimesScale()
    {
        // Every finite code, repeated with a tail that is not a multiple of the vector width.
        var codes = Enumerable.Range(0, 333).Select(i => (byte)(i % 256)).Where(c => (c & 0x7F) != 0x7F).ToArray();
        var decoded = new float[codes.Length];
        const float Scale = 0.0123f;

        Float8E4M3.DecodeScaled(codes, Scale, decoded);

        for (int i = 0; i < codes.Length; i++)
        {
            Assert.True((Float8E4M3.ToSingle(codes[i]) * Scale).Equals(decoded[i]), $"code 0x{codes[i]:X2}");
        }
    }

    [Theory]
    [InlineData(0x7E, 448f)]
    [InlineData(0x01, 0.001953125f)] // smallest subnormal: 1/8 · 2^-6
    [InlineData(0x08, 0.015625f)]    // smallest normal: 2^-6
    [InlineData(0x38, 1f)]
    [InlineData(0xB8, -1f)]
    public void Float8E4M3_KnownCodes_DecodeToKnownValues(int code, float value) =>
        Assert.Equal(value, Float8E4M3.ToSingle((byte)code));

    [Fact]
    public void Float8E4M3_Encode_RoundTripsEveryFiniteCodeAndSaturates()
    {
        for (int code = 0; code < 256; code++)
        {
            if ((code & 0x7F) == 0x7F || code == 0x80)
            {
                continue; // NaN, and negative zero (encodes as 0x80 only from -0.0)
            }

            Assert.Equal(code, Float8E4M3.FromSingle(Float8E4M3.ToSingle((byte)code)));
        }

        Assert.Equal(0x7E, Float8E4M3.FromSingle(1e6f));
        Assert.Equal(0xFE, Float8E4M3.FromSingle(-1e6f));
        Assert.Equal(0x38, Float8E4M3.FromSingle(1.0624f)); // nearer 1.0 than 1.125
    }

    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)] // halfway between 1 and the next bf16: ties to even
    [InlineData(1.01171875f, 0x3F82)] // halfway, odd lower neighbour: rounds up
    [InlineData(-2f, 0xC000)]
    public void BFloat16_FromSingle_RoundsToNearestEven(float value, int bits) =>
        Assert.Equal((ushort)bits, BFloat16.FromSingle(value));
}
