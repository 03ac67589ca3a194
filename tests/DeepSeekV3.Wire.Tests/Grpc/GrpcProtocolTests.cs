using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Wire.Tests.Grpc;

public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("150m", 1_500_000L)]
    [InlineData("250u", 2_500L)]
    [InlineData("700n", 7L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void TryParseTimeout_EveryUnit_GivesTheDuration(string text, long ticks)
    {
        Assert.True(GrpcProtocol.TryParseTimeout(text, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("123456789S")]
    [InlineData("-5S")]
    public void TryParseTimeout_Malformed_IsRejected(string text) => Assert.False(GrpcProtocol.TryParseTimeout(text, out _));

    [Fact]
    public void FormatTimeout_FitsEightDigitsAndNeverShortens()
    {
        foreach (var timeout in new[] { TimeSpan.FromTicks(7), TimeSpan.FromMilliseconds(1.5), TimeSpan.FromSeconds(30), TimeSpan.FromDays(400) })
        {
            string text = GrpcProtocol.FormatTimeout(timeout);
            Assert.True(text.Length <= 9, text);
            Assert.True(GrpcProtocol.TryParseTimeout(text, out var parsed));
            Assert.True(parsed >= timeout || text == "99999999H", $"{text} < {timeout}");
        }
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100% sure", "100%25 sure")]
    [InlineData("tab\there", "tab%09here")]
    [InlineData("☺", "%E2%98%BA")]
    public void EncodeMessage_PercentEncodesOutsidePrintableAscii(string message, string encoded)
    {
        Assert.Equal(encoded, GrpcProtocol.EncodeMessage(message));
        Assert.Equal(message, GrpcProtocol.DecodeMessage(encoded));
    }

    [Fact]
    public void DecodeMessage_MalformedEscape_IsKept() => Assert.Equal("50%Z", GrpcProtocol.DecodeMessage("50%Z"));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("application/json", false)]
    [InlineData("application/grpcx", false)]
    [InlineData(null, false)]
    public void IsGrpcContentType_FollowsTheSpec(string? contentType, bool expected) =>
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));

    [Fact]
    public void Metadata_ReservedOrInvalidKeys_AreRefused()
    {
        var metadata = new Metadata();
        Assert.Throws<ArgumentException>(() => metadata.Add("grpc-status", "0"));
        Assert.Throws<ArgumentException>(() => metadata.Add("bad key", "x"));
        Assert.Throws<ArgumentException>(() => metadata.Add("text-bin", "x"));
        Assert.Throws<ArgumentException>(() => metadata.Add("bytes", [1]));
        metadata.Add("X-Custom", "value");
        Assert.Equal("value", metadata.GetValue("x-custom"));
    }
}
