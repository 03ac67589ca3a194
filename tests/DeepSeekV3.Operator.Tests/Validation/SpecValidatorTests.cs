using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Validation;

namespace DeepSeekV3.Operator.Tests.Validation;

public class SpecValidatorTests
{
    [Fact]
    public void Validate_FittingTopology_HasNoErrors()
    {
        Assert.Empty(SpecValidator.Validate(Fixtures.H200()));
    }

    [Theory]
    [InlineData(4, 8, 80, 32, ModelPrecision.Fp8, null)]                         // 256 + 32 over 32 GPUs: 9 per GPU
    [InlineData(2, 8, 80, 7, ModelPrecision.Fp8, "spec.decode.redundantExperts")] // 256 + 7 over 16 GPUs
    [InlineData(1, 8, 80, 0, ModelPrecision.Fp8, "spec.decode")]                  // FP8 on 8 x 80 GB: no room
    [InlineData(1, 8, 141, 0, ModelPrecision.Fp8, null)]                          // FP8 on 8 x 141 GB: fits
    [InlineData(1, 8, 141, 0, ModelPrecision.Bf16, "spec.decode")]                // BF16 on 8 x 141 GB: no room
    public void Validate_DecodeTopology_IsRefusedWithTheFieldThatIsWrong(int nodes, int gpus, int gib, int redundant, ModelPrecision precision, string? field)
    {
        var deployment = Fixtures.H200();
        deployment.Spec.Model.Precision = precision;
        deployment.Spec.Prefill = new PoolSpec { Replicas = 1, NodesPerReplica = 2, GpusPerNode = 8, GpuMemoryGiB = 141 };
        deployment.Spec.Decode = new PoolSpec { Replicas = 1, NodesPerReplica = nodes, GpusPerNode = gpus, GpuMemoryGiB = gib, RedundantExperts = redundant };

        var errors = SpecValidator.Validate(deployment);

        Assert.Equal(field is null ? [] : [field], errors.Select(e => e.FieldPath));
    }

    [Fact]
    public void Validate_ModelThatDoesNotFit_GivesTheNumbersInTheMessage()
    {
        var deployment = Fixtures.H200();
        deployment.Spec.Decode.GpuMemoryGiB = 80;

        var error = Assert.Single(SpecValidator.Validate(deployment));

        Assert.Contains("1 x 8 GPUs of 80 GiB", error.Message, StringComparison.Ordinal);
        Assert.Contains("92.0 GiB per GPU", error.Message, StringComparison.Ordinal);
        Assert.Contains("0 tokens per GPU", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEachOnce()
    {
        var deployment = Fixtures.H200();
        deployment.Spec.Image = "";
        deployment.Spec.Model.Source.HostPath = new HostPathSource { Path = "/models" };
        deployment.Spec.Prefill.Replicas = -1;
        deployment.Spec.Rollout = new RolloutSpec { MaxUnavailable = 0 };

        var fields = SpecValidator.Validate(deployment).Select(e => e.FieldPath).ToList();

        Assert.Equal(["spec.image", "spec.model.source", "spec.prefill.replicas", "spec.rollout"], fields);
    }

    [Fact]
    public void Validate_NameTooLongForGroupStatefulSets_IsRefused()
    {
        var deployment = Fixtures.H200(name: new string('a', 43), decode: 12);

        var errors = SpecValidator.Validate(deployment);

        Assert.Equal(["metadata.name", "metadata.name"], errors.Select(e => e.FieldPath));
        Assert.Contains("-prefill-0'", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("-decode-11'", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_FittingGroup_ReportsKvTokensForTheStatus()
    {
        var spec = Fixtures.H200().Spec;

        var plan = SpecValidator.Plan(spec, spec.Decode);

        Assert.True(plan.Fits);
        Assert.True(plan.KvTokensPerGroup > 1_000_000, $"{plan.KvTokensPerGroup} KV tokens per group");
    }
}
