using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py <c>Gate</c> (sigmoid scoring, noaux_tc): s = sigmoid(x · Wᵀ); selection uses s + e_score_correction_bias,
/// restricted to the best topk_group of n_group contiguous groups (group score = sum of its 2 largest biased
/// scores); the combine weights are the unbiased s of the chosen experts, normalized, times routed_scaling_factor.
/// </summary>
public sealed class Gate
{
    private readonly ModelConfig _config;
    private readonly WeightMatrix _weight; // [n_routed_experts, hidden], BF16 in real checkpoints (never FP8)
    private readonly float[] _bias;        // [n_routed_experts] e_score_correction_bias, selection only

    public Gate(Checkpoint checkpoint, string prefix, ModelConfig config)
    {
        _config = config;
        _weight = checkpoint.Matrix($"{prefix}.weight", config.NRoutedExperts, config.HiddenSize);
        _bias = checkpoint.Vector($"{prefix}.e_score_correction_bias", config.NRoutedExperts);
    }

    public long StoredBytes => _weight.StoredBytes + (4L * _bias.Length);

    /// <summary>
    /// Fills s.RoutedExperts / s.RoutedWeights [n, experts_per_tok] for s.Normed [n, hidden], in the reference's
    /// order (descending biased score).
    /// </summary>
    public void Route(IComputeBackend backend, RunState s, int n)
    {
        int experts = _config.NRoutedExperts, k = _config.NumExpertsPerTok;
        var scores = s.GateScores.AsSpan(0, n * experts);
        backend.Linear(s.Normed.AsSpan(0, n * _config.HiddenSize), n, _weight, 0, experts, scores);
        backend.Sigmoid(scores);
        Span<float> biased = stackalloc float[experts];
        for (int t = 0; t < n; t++)
        {
            var tokenScores = scores.Slice(t * experts, experts);
            for (int e = 0; e < experts; e++)
            {
                biased[e] = tokenScores[e] + _bias[e];
            }

            SelectExperts(biased, s.RoutedExperts.AsSpan(t * k, k));
            var weights = s.RoutedWeights.AsSpan(t * k, k);
            float total = 0;
            for (int i = 0; i < k; i++)
            {
                weights[i] = tokenScores[s.RoutedExperts[(t * k) + i]];
                total += weights[i];
            }

            float scale = (float)_config.RoutedScalingFactor;
            for (int i = 0; i < k; i++)
            {
                weights[i] = (_config.NormTopkProb ? weights[i] / total : weights[i]) * scale;
            }
        }
    }

    /// <summary>Group-limited top-k over <paramref name="biased"/> [n_routed_experts] into <paramref name="chosen"/> [k].</summary>
    internal void SelectExperts(Span<float> biased, Span<int> chosen)
    {
        int groups = _config.NGroup, perGroup = _config.NRoutedExperts / groups;
        if (groups > 1)
        {
            Span<float> groupScores = stackalloc float[groups];
            for (int g = 0; g < groups; g++)
            {
                var members = biased.Slice(g * perGroup, perGroup);
                float best = float.NegativeInfinity, second = float.NegativeInfinity;
                foreach (float value in members)
                {
                    if (value > best)
                    {
                        second = best;
                        best = value;
                    }
                    else if (value > second)
                    {
                        second = value;
                    }
                }

                groupScores[g] = best + second;
            }

            // Drop every group outside the topk_group best: their experts cannot be chosen.
            Span<int> keptGroups = stackalloc int[_config.TopkGroup];
            TopK(groupScores, keptGroups);
            for (int g = 0; g < groups; g++)
            {
                if (!keptGroups.Contains(g))
                {
                    biased.Slice(g * perGroup, perGroup).Fill(float.NegativeInfinity);
                }
            }
        }

        TopK(biased, chosen);
    }

    /// <summary>Indices of the chosen.Length largest values, largest first; the lower index wins a tie.</summary>
    private static void TopK(ReadOnlySpan<float> values, Span<int> chosen)
    {
        for (int i = 0; i < chosen.Length; i++)
        {
            int best = -1;
            for (int j = 0; j < values.Length; j++)
            {
                if (chosen[..i].Contains(j))
                {
                    continue;
                }

                if (best < 0 || values[j] > values[best])
                {
                    best = j;
                }
            }

            chosen[i] = best;
        }
    }
}
