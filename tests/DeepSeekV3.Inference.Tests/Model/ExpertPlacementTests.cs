using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Inference.Tests.Model;

public class ExpertPlacementTests
{
    [Fact]
    public void Uniform_WithoutRedundancy_IsContiguousBlocks()
    {
        var placement = ExpertPlacement.Uniform(256, 4, 0);

        Assert.Equal(Enumerable.Range(64, 64), placement.ExpertsOf(1));
        Assert.Equal([3], placement.RanksOf(255));
    }

    [Theory]
    [InlineData(256, 32, 32)]
    [InlineData(16, 4, 4)]
    [InlineData(16, 2, 2)]
    public void Balanced_EveryRankHasTheSameSlotsAndEveryExpertACopy(int experts, int ranks, int redundant)
    {
        var load = Enumerable.Range(0, experts).Select(e => (double)((e * 37) % 11 + 1)).ToArray();

        var placement = ExpertPlacement.Balanced(experts, ranks, redundant, load);

        Assert.All(Enumerable.Range(0, ranks), r => Assert.Equal((experts + redundant) / ranks, placement.ExpertsOf(r).Count));
        Assert.All(Enumerable.Range(0, experts), e => Assert.NotEmpty(placement.RanksOf(e)));
        Assert.Equal(experts + redundant, Enumerable.Range(0, experts).Sum(e => placement.RanksOf(e).Count));
        Assert.All(Enumerable.Range(0, experts), e => Assert.Equal(placement.RanksOf(e).Count, placement.RanksOf(e).Distinct().Count()));
    }

    [Fact]
    public void Balanced_SkewedLoad_CopiesTheHotExpertsAndEvensOutTheRanks()
    {
        // 16 experts over 4 ranks; experts 0 and 1 take most of the traffic (contiguous blocks put both on rank 0).
        var load = Enumerable.Repeat(1.0, 16).ToArray();
        load[0] = 40;
        load[1] = 30;

        var contiguous = ExpertPlacement.Uniform(16, 4, 0);
        var balanced = ExpertPlacement.Balanced(16, 4, 4, load);

        Assert.True(balanced.RanksOf(0).Count >= 2 && balanced.RanksOf(1).Count >= 2, "the hot experts get copies");
        Assert.True(contiguous.Imbalance(load) > 2.5, $"contiguous {contiguous.Imbalance(load):F2}");
        Assert.True(balanced.Imbalance(load) < 1.3, $"balanced {balanced.Imbalance(load):F2}"); // 84 tokens over 4 ranks: 26.3 on the busiest, 21 mean
    }

    [Fact]
    public void RemoteRank_SpreadsATokensSlotsOverTheOtherCopies()
    {
        var load = Enumerable.Repeat(1.0, 16).ToArray();
        load[5] = 100;
        var placement = ExpertPlacement.Balanced(16, 4, 4, load);
        var copies = placement.RanksOf(5);

        var chosen = Enumerable.Range(0, 12).Select(t => placement.RemoteRank(5, t, fromRank: -1)).Distinct().Order();

        Assert.Equal(copies, chosen);
        Assert.DoesNotContain(copies[0], Enumerable.Range(0, 12).Select(t => placement.RemoteRank(5, t, copies[0])));
    }

    [Theory]
    [InlineData(16, 3, 0, "do not divide")]
    [InlineData(16, 2, 20, "more than 1 extra copies")]
    public void Balanced_ImpossibleLayouts_SayWhy(int experts, int ranks, int redundant, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ExpertPlacement.Balanced(experts, ranks, redundant, new double[experts]));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
