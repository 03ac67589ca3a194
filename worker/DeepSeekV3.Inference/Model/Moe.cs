using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py <c>MoE</c>: y = Σ weight_e · expert_e(x) over the routed experts + shared_experts(x). Tokens are grouped by
/// expert so each expert's weights are read once per step for all the tokens routed to it.
/// </summary>
public sealed class Moe
{
    private readonly ModelConfig _config;
    private readonly Gate _gate;
    private readonly Mlp?[] _experts; // [n_routed_experts]; null where another rank owns the expert
    private readonly Mlp _sharedExperts;

    public Moe(Checkpoint checkpoint, string prefix, ModelConfig config, WeightMap weightMap)
    {
        _config = config;
        _gate = new Gate(checkpoint, $"{prefix}.gate", config);
        _experts = new Mlp?[config.NRoutedExperts];
        for (int e = 0; e < _experts.Length; e++)
        {
            if (weightMap.OwnsExpert(e))
            {
                _experts[e] = new Mlp(checkpoint, $"{prefix}.experts.{e}", config.HiddenSize, config.MoeIntermediateSize);
            }
        }

        _sharedExperts = new Mlp(checkpoint, $"{prefix}.shared_experts", config.HiddenSize,
            config.NSharedExperts * config.MoeIntermediateSize);
    }

    /// <summary>Multiply-adds of one token: gate, shared experts, experts_per_tok routed experts.</summary>
    public long MultiplyAddsPerToken => (_config.NRoutedExperts * (long)_config.HiddenSize) + _sharedExperts.MultiplyAddsPerToken
        + (_config.NumExpertsPerTok * (_experts.FirstOrDefault(e => e is not null)?.MultiplyAddsPerToken ?? 0));

    public long StoredBytes => _gate.StoredBytes + _sharedExperts.StoredBytes + _experts.Sum(e => e?.StoredBytes ?? 0);

    /// <summary>
    /// Bytes of weights a step of <paramref name="tokens"/> tokens reads at most: gate, shared experts, and every
    /// distinct routed expert (at most min(n_routed_experts, tokens · experts_per_tok)), each read once.
    /// </summary>
    public long WeightBytesPerStep(int tokens) => _gate.StoredBytes + _sharedExperts.StoredBytes
        + (Math.Min(_config.NRoutedExperts, (long)tokens * _config.NumExpertsPerTok)
            * (_experts.FirstOrDefault(e => e is not null)?.StoredBytes ?? 0));

    /// <summary>s.LayerOut[n, hidden] = MoE(s.Normed[n, hidden]).</summary>
    public void Forward(IComputeBackend backend, RunState s, int n, LayerTrace? trace)
    {
        int hidden = _config.HiddenSize, k = _config.NumExpertsPerTok, experts = _config.NRoutedExperts;
        _gate.Route(backend, s, n);
        if (trace is not null)
        {
            trace.RoutingExperts = s.RoutedExperts.AsSpan(0, n * k).ToArray();
            trace.RoutingWeights = s.RoutedWeights.AsSpan(0, n * k).ToArray();
        }

        // Counting sort of the n·k routed slots by expert: slots [start[e], start[e + 1]) go to expert e.
        Span<int> start = stackalloc int[experts + 1];
        start.Clear();
        for (int slot = 0; slot < n * k; slot++)
        {
            start[s.RoutedExperts[slot] + 1]++;
        }

        for (int e = 0; e < experts; e++)
        {
            start[e + 1] += start[e];
        }

        Span<int> fill = stackalloc int[experts];
        start[..experts].CopyTo(fill);
        for (int slot = 0; slot < n * k; slot++)
        {
            int position = fill[s.RoutedExperts[slot]]++;
            s.ExpertTokens[position] = slot / k;
            s.ExpertTokenWeights[position] = s.RoutedWeights[slot];
        }

        var output = s.LayerOut.AsSpan(0, n * hidden);
        output.Clear();
        var normed = s.Normed.AsSpan(0, n * hidden);
        for (int e = 0; e < experts; e++)
        {
            int m = start[e + 1] - start[e];
            if (m == 0 || _experts[e] is not { } expert)
            {
                continue;
            }

            var input = s.ExpertInput.AsSpan(0, m * hidden);
            for (int i = 0; i < m; i++)
            {
                normed.Slice(s.ExpertTokens[start[e] + i] * hidden, hidden).CopyTo(input.Slice(i * hidden, hidden));
            }

            var result = s.ExpertOutput.AsSpan(0, m * hidden);
            expert.Forward(backend, s, input, m, result);
            for (int i = 0; i < m; i++)
            {
                int t = s.ExpertTokens[start[e] + i];
                backend.MultiplyAdd(output.Slice(t * hidden, hidden), result.Slice(i * hidden, hidden),
                    s.ExpertTokenWeights[start[e] + i]);
            }
        }

        var shared = s.ExpertOutput.AsSpan(0, n * hidden);
        _sharedExperts.Forward(backend, s, normed, n, shared);
        backend.Add(output, shared);
    }
}
