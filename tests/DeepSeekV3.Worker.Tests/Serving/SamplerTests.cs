using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Tests.Serving;

public sealed class SamplerTests
{
    private static readonly float[] s_logits = [1f, 3f, 2f, 0.5f, 2.9f];

    private static SampledToken Sample(SamplingParams sampling, Dictionary<int, int>? counts = null, ulong seed = 1)
    {
        var random = new DeterministicRandom(seed);
        return new Sampler(s_logits.Length).Sample(s_logits, sampling, counts ?? [], ref random);
    }

    [Fact]
    public void Sample_TemperatureZero_IsArgmax() =>
        Assert.Equal(1, Sample(new SamplingParams { Temperature = 0 }).TokenId);

    [Fact]
    public void Sample_TopKOne_IsArgmaxAtAnyTemperature()
    {
        for (ulong seed = 0; seed < 50; seed++)
        {
            Assert.Equal(1, Sample(new SamplingParams { Temperature = 2, TopK = 1 }, seed: seed).TokenId);
        }
    }

    [Fact]
    public void Sample_TopPSmall_KeepsOnlyTheNucleus()
    {
        // p(1) ≈ 0.39, p(4) ≈ 0.35: a nucleus of 0.5 holds exactly those two.
        var seen = Enumerable.Range(0, 200).Select(seed => Sample(new SamplingParams { TopP = 0.5f }, seed: (ulong)seed).TokenId).ToHashSet();

        Assert.Equal([1, 4], seen.Order());
    }

    [Fact]
    public void Sample_HighTemperature_ReachesEveryToken()
    {
        var seen = Enumerable.Range(0, 500).Select(seed => Sample(new SamplingParams { Temperature = 2 }, seed: (ulong)seed).TokenId).ToHashSet();

        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public void Sample_PresenceAndFrequencyPenalties_PushAwayFromRepeats()
    {
        var counts = new Dictionary<int, int> { [1] = 2 };

        Assert.Equal(4, Sample(new SamplingParams { Temperature = 0, PresencePenalty = 0.2f }, counts).TokenId);
        Assert.Equal(1, Sample(new SamplingParams { Temperature = 0, PresencePenalty = 0.05f }, counts).TokenId);
        Assert.Equal(4, Sample(new SamplingParams { Temperature = 0, FrequencyPenalty = 0.06f }, counts).TokenId);
    }

    [Fact]
    public void Sample_Logprobs_AreLogSoftmaxOfRawLogits()
    {
        var token = Sample(new SamplingParams { Temperature = 0, TopLogprobs = 3 });

        double normalizer = Math.Log(s_logits.Sum(l => Math.Exp(l)));
        Assert.Equal(3 - normalizer, token.Logprob, 5);
        Assert.Equal([1, 4, 2], token.TopLogprobs.Select(t => t.TokenId));
        Assert.Equal(2.9 - normalizer, token.TopLogprobs[1].Logprob, 5);
    }
}
