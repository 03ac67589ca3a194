using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Turns one row of logits into a token: penalties (OpenAI: presence subtracts once per seen token, frequency
/// per occurrence, over the generated tokens), then greedy argmax at temperature 0, otherwise softmax(logits / T)
/// restricted to the top-k and then the top-p nucleus, sampled with the sequence's own seeded generator (same seed,
/// same output). Logprobs are log-softmax of the raw logits. Scratch buffers are reused across calls.
/// </summary>
public sealed class Sampler(int vocabularySize)
{
    private readonly float[] _adjusted = new float[vocabularySize];   // [vocab] penalized logits
    private readonly float[] _probabilities = new float[vocabularySize];
    private readonly int[] _order = new int[vocabularySize];

    public SampledToken Sample(ReadOnlySpan<float> logits, SamplingParams sampling, IReadOnlyDictionary<int, int> generatedCounts,
        ref DeterministicRandom random)
    {
        var adjusted = _adjusted.AsSpan(0, logits.Length);
        logits.CopyTo(adjusted);
        if (sampling.PresencePenalty != 0 || sampling.FrequencyPenalty != 0)
        {
            foreach (var (token, count) in generatedCounts)
            {
                adjusted[token] -= sampling.PresencePenalty + (sampling.FrequencyPenalty * count);
            }
        }

        int chosen = sampling.IsGreedy ? GreedyGenerator.Argmax(adjusted) : Draw(adjusted, sampling, ref random);
        return Describe(logits, chosen, sampling.TopLogprobs);
    }

    private int Draw(Span<float> adjusted, SamplingParams sampling, ref DeterministicRandom random)
    {
        int vocab = adjusted.Length;
        var order = _order.AsSpan(0, vocab);
        for (int i = 0; i < vocab; i++)
        {
            order[i] = i;
        }

        // Sort token ids by logit, descending (deterministic for equal inputs, which is what seeding needs).
        var keys = _probabilities.AsSpan(0, vocab);
        for (int i = 0; i < vocab; i++)
        {
            keys[i] = -adjusted[i];
        }

        keys.Sort(order);
        int kept = sampling.TopK > 0 ? Math.Min(sampling.TopK, vocab) : vocab;
        float max = adjusted[order[0]];
        double total = 0;
        for (int i = 0; i < kept; i++)
        {
            float p = MathF.Exp((adjusted[order[i]] - max) / sampling.Temperature);
            keys[i] = p;
            total += p;
        }

        if (sampling.TopP < 1f)
        {
            double cumulative = 0;
            for (int i = 0; i < kept; i++)
            {
                cumulative += keys[i] / total;
                if (cumulative >= sampling.TopP)
                {
                    kept = i + 1;
                    break;
                }
            }

            total = 0;
            for (int i = 0; i < kept; i++)
            {
                total += keys[i];
            }
        }

        double target = (random.NextUInt64() >> 11) * (1.0 / (1UL << 53)) * total;
        double running = 0;
        for (int i = 0; i < kept; i++)
        {
            running += keys[i];
            if (running > target)
            {
                return order[i];
            }
        }

        return order[kept - 1];
    }

    private SampledToken Describe(ReadOnlySpan<float> logits, int chosen, int? topLogprobs)
    {
        if (topLogprobs is null)
        {
            return new SampledToken(chosen, 0f, []);
        }

        float max = float.NegativeInfinity;
        foreach (float value in logits)
        {
            max = MathF.Max(max, value);
        }

        double sum = 0;
        foreach (float value in logits)
        {
            sum += Math.Exp(value - max);
        }

        float logNormalizer = max + (float)Math.Log(sum);
        var top = new List<TokenLogprob>(topLogprobs.Value);
        if (topLogprobs.Value > 0)
        {
            var order = _order.AsSpan(0, logits.Length);
            var keys = _probabilities.AsSpan(0, logits.Length);
            for (int i = 0; i < logits.Length; i++)
            {
                order[i] = i;
                keys[i] = -logits[i];
            }

            keys.Sort(order);
            for (int i = 0; i < Math.Min(topLogprobs.Value, logits.Length); i++)
            {
                top.Add(new TokenLogprob(order[i], logits[order[i]] - logNormalizer));
            }
        }

        return new SampledToken(chosen, logits[chosen] - logNormalizer, top);
    }
}
