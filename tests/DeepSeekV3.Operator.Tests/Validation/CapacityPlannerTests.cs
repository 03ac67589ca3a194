using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Validation;

namespace DeepSeekV3.Operator.Tests;

public class CapacityPlannerTests
{
    [Theory]
    [InlineData(ModelPrecision.Fp8, 8, 80, 0, false)]
    [InlineData(ModelPrecision.Fp8, 8, 141, 0, true)]
    [InlineData(ModelPrecision.Bf16, 8, 141, 0, false)]
    [InlineData(ModelPrecision.Fp8, 16, 80, 0, true)]
    [InlineData(ModelPrecision.Bf16, 16, 141, 0, true)]
    public void Plan_DeepSeekV3Topologies_FitAsExpected(ModelPrecision precision, int gpus, int gib, int redundant, bool fits)
    {
        var plan = CapacityPlanner.Plan(precision, gpus, gib, redundant);

        Assert.Equal(fits, plan.Fits);
        Assert.Contains("GiB per GPU", plan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KvBytesPerToken_MlaDimensions_Is70272()
    {
        Assert.Equal(70_272, CapacityPlanner.KvBytesPerToken);
    }
}
