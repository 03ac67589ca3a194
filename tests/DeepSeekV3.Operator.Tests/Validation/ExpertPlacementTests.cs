using DeepSeekV3.Operator.Validation;

namespace DeepSeekV3.Operator.Tests;

public class ExpertPlacementTests
{
    [Theory]
    [InlineData(32, 32, true)]
    [InlineData(16, 7, false)]
    [InlineData(8, 0, true)]
    [InlineData(64, 64, true)]
    public void Check_GroupSizes_AcceptOnlyEvenSplits(int gpus, int redundant, bool ok)
    {
        var error = ExpertPlacement.Check(gpus, redundant);

        Assert.Equal(ok, error is null);
    }

    [Fact]
    public void Check_256Plus7Over16_MessageHasNumbers()
    {
        var error = ExpertPlacement.Check(16, 7);

        Assert.Equal("256 routed + 7 redundant = 263 experts do not divide evenly over 16 GPUs per group", error);
    }
}
