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
    private volatile Mlp?[] _experts; // [n_routed_experts]; null where another rank owns the expert; replaced whole, never edited
    private readonly Checkpoint _checkpoint;
    private readonly string _prefix;
    private readonly long[] _load; // tokens routed to each expert by this rank's own steps
    private readonly Mlp _sharedExperts;
    private readonly LinearProduct[] _products; // 2 per expert with tokens + 2 shared, reused every step
    private readonly int _layer;
    private readonly IExpertPeers? _peers;

    public Moe(Checkpoint checkpoint, string prefix, ModelConfig config, WeightMap weightMap, int layer = 0, IExpertPeers? peers = null)
    {
        _config = config;
        _layer = layer;
        _peers = peers;
        _checkpoint = checkpoint;
        _prefix = prefix;
        _load = new long[config.NRoutedExperts];
        _gate = new Gate(checkpoint, $"{prefix}.gate", config);
        var experts = new Mlp?[config.NRoutedExperts];
        for (int e = 0; e < experts.Length; e++)
        {
            if (weightMap.OwnsExpert(layer, e))
            {
                experts[e] = NewExpert(e);
            }
        }

        _experts = experts;

        _sharedExperts = new Mlp(checkpoint, $"{prefix}.shared_experts", config.HiddenSize,
            config.NSharedExperts * config.MoeIntermediateSize);
        _products = new LinearProduct[(2 * config.NRoutedExperts) + 2];
    }

    /// <summary>The routed experts held now, ascending.</summary>
    public IReadOnlyList<int> HeldExperts
    {
        get
        {
            var held = _experts;
            return [.. Enumerable.Range(0, held.Length).Where(e => held[e] is not null)];
        }
    }

    /// <summary>Tokens this rank's own steps routed to each expert since the start (held here or not).</summary>
    public long[] Load() => [.. _load]; // written by this rank's engine thread only; 64-bit reads are atomic

    /// <summary>
    /// Holds exactly <paramref name="experts"/> from now on: new ones are mapped from the checkpoint, dropped ones are
    /// released. The set is swapped whole, so a step in progress keeps the set it started the layer with.
    /// </summary>
    public void Hold(IEnumerable<int> experts)
    {
        var current = _experts;
        var next = new Mlp?[current.Length];
        foreach (int e in experts)
        {
            next[e] = current[e] ?? NewExpert(e);
        }

        _experts = next;
    }

    private Mlp NewExpert(int expert) =>
        new(_checkpoint, $"{_prefix}.experts.{expert}", _config.HiddenSize, _config.MoeIntermediateSize);

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

    /// <summary>
    /// s.LayerOut[n, hidden] = MoE(s.Normed[n, hidden]). The routed experts and the shared experts run as two grouped
    /// dispatches (all gate/up products, then all down products), each expert on the tokens routed to it.
    /// </summary>
    public unsafe void Forward(IComputeBackend backend, RunState s, int n, LayerTrace? trace)
    {
        int hidden = _config.HiddenSize, k = _config.NumExpertsPerTok, experts = _config.NRoutedExperts;
        int inter = _config.MoeIntermediateSize, sharedInter = _sharedExperts.Inter, slots = n * k;
        var held = _experts; // one set for the whole layer, even if a re-placement swaps it meanwhile
        _gate.Route(backend, s, n);
        for (int slot = 0; slot < slots; slot++)
        {
            _load[s.RoutedExperts[slot]]++;
        }

        if (trace is not null)
        {
            trace.RoutingExperts = s.RoutedExperts.AsSpan(0, slots).ToArray();
            trace.RoutingWeights = s.RoutedWeights.AsSpan(0, slots).ToArray();
        }

        // Counting sort of the n·k routed slots by expert: slots [start[e], start[e + 1]) go to expert e.
        Span<int> start = stackalloc int[experts + 1];
        start.Clear();
        for (int slot = 0; slot < slots; slot++)
        {
            start[s.RoutedExperts[slot] + 1]++;
        }

        for (int e = 0; e < experts; e++)
        {
            start[e + 1] += start[e];
        }

        Span<int> fill = stackalloc int[experts];
        start[..experts].CopyTo(fill);
        for (int slot = 0; slot < slots; slot++)
        {
            int expert = s.RoutedExperts[slot];
            int position = fill[expert]++;
            s.ExpertTokens[position] = slot / k;
            s.ExpertTokenWeights[position] = s.RoutedWeights[slot];
            s.SlotPositions[slot] = held[expert] is null ? -1 : position;
        }

        // A token's slots in expert order (the order the reference adds them in): positions grow with the expert.
        for (int t = 0; t < n; t++)
        {
            s.SlotPositions.AsSpan(t * k, k).Sort();
        }

        var normed = s.Normed.AsSpan(0, n * hidden);
        backend.GatherRows(normed, hidden, s.ExpertTokens.AsSpan(0, slots), s.ExpertInput.AsSpan(0, slots * hidden));

        // Buffers: routed rows first ([slots, ·]), the shared experts' n rows after them.
        fixed (float* input = s.ExpertInput)
        fixed (float* normedPointer = s.Normed)
        fixed (float* gate = s.MlpGate)
        fixed (float* up = s.MlpUp)
        fixed (float* result = s.ExpertOutput)
        {
            float* sharedGate = gate + ((long)slots * inter), sharedUp = up + ((long)slots * inter);
            float* sharedResult = result + ((long)slots * hidden);
            var products = _products.AsSpan();
            int count = 0;
            bool gated = n == 1; // one token (batch-1 decode), one per expert: gated products apply the activation themselves
            for (int e = 0; e < experts; e++)
            {
                int m = start[e + 1] - start[e];
                if (m > 0 && held[e] is { } expert)
                {
                    if (gated)
                    {
                        expert.AppendSiluGated(products, ref count, input + ((long)start[e] * hidden), gate + ((long)start[e] * inter));
                    }
                    else
                    {
                        expert.AppendGateUp(products, ref count, input + ((long)start[e] * hidden), m, gate + ((long)start[e] * inter),
                            up + ((long)start[e] * inter));
                    }
                }
            }

            if (gated)
            {
                _sharedExperts.AppendSiluGated(products, ref count, normedPointer, sharedGate);
            }
            else
            {
                _sharedExperts.AppendGateUp(products, ref count, normedPointer, n, sharedGate, sharedUp);
            }

            backend.LinearGroup(products[..count]);
            if (!gated)
            {
                backend.SiluMultiply(s.MlpGate.AsSpan(0, (slots * inter) + (n * sharedInter)),
                    s.MlpUp.AsSpan(0, (slots * inter) + (n * sharedInter)));
            }

            count = 0;
            for (int e = 0; e < experts; e++)
            {
                int m = start[e + 1] - start[e];
                if (m > 0 && held[e] is { } expert)
                {
                    expert.AppendDown(products, ref count, gate + ((long)start[e] * inter), m, result + ((long)start[e] * hidden));
                }
            }

            _sharedExperts.AppendDown(products, ref count, sharedGate, n, sharedResult);
            backend.LinearGroup(products[..count]);
        }

        // y = Σ weight · expert(x) in expert order (the reference's loop), then + shared_experts(x).
        var output = s.LayerOut.AsSpan(0, n * hidden);
        var shared = s.ExpertOutput.AsSpan(slots * hidden, n * hidden);
        if (_peers is null)
        {
            backend.CombineExperts(output, n, k, s.ExpertOutput.AsSpan(0, slots * hidden), hidden, s.SlotPositions.AsSpan(0, slots),
                s.ExpertTokenWeights.AsSpan(0, slots), shared);
            return;
        }

        // Expert parallel: the peers add their experts' terms between the local ones and the shared experts.
        output.Clear();
        backend.AddWeightedRows(output, n, k, s.ExpertOutput.AsSpan(0, slots * hidden), hidden, s.SlotPositions.AsSpan(0, slots),
            s.ExpertTokenWeights.AsSpan(0, slots));

        // Slots computed here are marked -1: the peers get exactly the rest, whatever the placement says meanwhile.
        var remote = s.RemoteExperts.AsSpan(0, slots);
        for (int slot = 0; slot < slots; slot++)
        {
            remote[slot] = held[s.RoutedExperts[slot]] is null ? s.RoutedExperts[slot] : -1;
        }

        _peers.AddRemoteExperts(_layer, normed, n, remote, s.RoutedWeights.AsSpan(0, slots), k, output);
        backend.Add(output, shared);
    }

    /// <summary>
    /// The expert side of a remote dispatch: output[t] = Σ weight · expert(x[t]) over the experts token t chose on this
    /// rank (<paramref name="expertsPerToken"/>[t] entries of <paramref name="expertIds"/>/<paramref name="weights"/>
    /// each), summed in expert order like the local path. Throws when an expert is not held here.
    /// </summary>
    public unsafe void RunOwnExperts(IComputeBackend backend, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<int> expertIds,
        ReadOnlySpan<float> weights, ReadOnlySpan<int> expertsPerToken, Span<float> output)
    {
        int hidden = _config.HiddenSize, inter = _config.MoeIntermediateSize, slots = expertIds.Length;
        var tokenOf = new int[slots];
        for (int t = 0, slot = 0; t < tokens; t++)
        {
            for (int j = 0; j < expertsPerToken[t]; j++)
            {
                tokenOf[slot++] = t;
            }
        }

        // Slots ordered by expert (stable), so each expert's weights are read once for all its tokens.
        var held = _experts;
        int[] ids = expertIds.ToArray();
        var order = Enumerable.Range(0, slots).OrderBy(slot => ids[slot]).ThenBy(slot => slot).ToArray();
        var input = new float[slots * hidden];
        var gate = new float[slots * inter];
        var up = new float[slots * inter];
        var result = new float[slots * hidden];
        for (int position = 0; position < slots; position++)
        {
            int expert = expertIds[order[position]];
            if ((uint)expert >= (uint)held.Length || held[expert] is null)
            {
                throw new ArgumentException($"expert {expert} of layer {_layer} is not held by this rank", nameof(expertIds));
            }

            x.Slice(tokenOf[order[position]] * hidden, hidden).CopyTo(input.AsSpan(position * hidden, hidden));
        }

        var products = new LinearProduct[2 * slots];
        fixed (float* inputPointer = input)
        fixed (float* gatePointer = gate)
        fixed (float* upPointer = up)
        fixed (float* resultPointer = result)
        {
            int count = 0;
            for (int first = 0; first < slots;)
            {
                int expert = expertIds[order[first]], last = first;
                while (last < slots && expertIds[order[last]] == expert)
                {
                    last++;
                }

                held[expert]!.AppendGateUp(products, ref count, inputPointer + ((long)first * hidden), last - first,
                    gatePointer + ((long)first * inter), upPointer + ((long)first * inter));
                first = last;
            }

            backend.LinearGroup(products.AsSpan(0, count));
            backend.SiluMultiply(gate, up);
            count = 0;
            for (int first = 0; first < slots;)
            {
                int expert = expertIds[order[first]], last = first;
                while (last < slots && expertIds[order[last]] == expert)
                {
                    last++;
                }

                held[expert]!.AppendDown(products, ref count, gatePointer + ((long)first * inter), last - first, resultPointer + ((long)first * hidden));
                first = last;
            }

            backend.LinearGroup(products.AsSpan(0, count));
        }

        output[..(tokens * hidden)].Clear();
        for (int position = 0; position < slots; position++)
        {
            int slot = order[position];
            backend.MultiplyAdd(output.Slice(tokenOf[slot] * hidden, hidden), result.AsSpan(position * hidden, hidden), weights[slot]);
        }
    }
}
