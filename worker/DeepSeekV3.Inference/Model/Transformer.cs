using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py <c>Transformer</c>: embedding → num_hidden_layers blocks → final RMSNorm → lm_head. The MTP layers
/// (<c>model.layers.{num_hidden_layers}.*</c>) are never asked for, so they are never read.
/// </summary>
public sealed class Transformer
{
    private readonly WeightMatrix _embed; // [vocab, hidden]
    private readonly Block[] _layers;
    private readonly RmsNorm _norm;
    private readonly WeightMatrix _head;  // [vocab, hidden]
    private readonly IComputeBackend _backend;

    private readonly Lock _expertLock = new();

    // Steps share it (several may run at once); a change of the experts held runs alone (see BetweenSteps).
    private readonly StepGate _steps = new();

    public Transformer(Checkpoint checkpoint, IComputeBackend backend, WeightMap? weightMap = null, IExpertPeers? peers = null)
    {
        var c = checkpoint.Config;
        Config = c;
        _backend = backend;
        Rope = new YarnRope(c);
        _embed = checkpoint.Matrix("model.embed_tokens.weight", c.VocabSize, c.HiddenSize);
        RequireUnquantized("model.embed_tokens.weight", _embed);
        _layers = new Block[c.NumHiddenLayers];
        for (int layer = 0; layer < _layers.Length; layer++)
        {
            _layers[layer] = new Block(checkpoint, layer, c, Rope, weightMap ?? WeightMap.All, peers);
        }

        _norm = new RmsNorm(checkpoint.Vector("model.norm.weight", c.HiddenSize), (float)c.RmsNormEps);
        _head = checkpoint.Matrix("lm_head.weight", c.VocabSize, c.HiddenSize);
        RequireUnquantized("lm_head.weight", _head);
    }

    public ModelConfig Config { get; }

    /// <summary>The layers with routed experts (all but the first_k_dense_replace dense ones).</summary>
    public IReadOnlyList<int> MoeLayers => [.. Enumerable.Range(0, _layers.Length).Where(l => _layers[l].Moe is not null)];

    /// <summary>The routed experts of <paramref name="layer"/> held by this rank now.</summary>
    public IReadOnlyList<int> HeldExperts(int layer) => _layers[layer].Moe?.HeldExperts ?? [];

    /// <summary>Holds exactly <paramref name="experts"/> in <paramref name="layer"/> from the next use of the layer (see <see cref="Moe.Hold"/>).</summary>
    public void HoldExperts(int layer, IEnumerable<int> experts) =>
        (_layers[layer].Moe ?? throw new ArgumentException($"layer {layer} has no routed experts", nameof(layer))).Hold(experts);

    /// <summary>Tokens this rank's steps routed to each expert of <paramref name="layer"/> so far.</summary>
    public long[] ExpertLoad(int layer) => _layers[layer].Moe?.Load() ?? [];

    /// <summary>
    /// Runs this rank's routed experts of <paramref name="layer"/> for a peer's dispatch (see <see cref="Moe.RunOwnExperts"/>)
    /// on <paramref name="backend"/> — its own, so serving peers never waits for this rank's own step. Dispatches from
    /// several peers are served one at a time.
    /// </summary>
    public void RunExperts(IComputeBackend backend, int layer, ReadOnlySpan<float> x, int tokens, ReadOnlySpan<int> expertIds, ReadOnlySpan<float> weights,
        ReadOnlySpan<int> expertsPerToken, Span<float> output)
    {
        if ((uint)layer >= (uint)_layers.Length || _layers[layer].Moe is not { } moe)
        {
            throw new ArgumentException($"layer {layer} has no routed experts", nameof(layer));
        }

        lock (_expertLock)
        {
            moe.RunOwnExperts(backend, x, tokens, expertIds, weights, expertsPerToken, output);
        }
    }

    public YarnRope Rope { get; }

    /// <summary>
    /// Bytes of weights a step of <paramref name="tokens"/> tokens reads at most: every replicated weight once, each
    /// distinct routed expert once, the head, and one embedding row per token. At one token this is exact: the
    /// bytes a batch-1 decode step must stream, which bounds its speed by memory bandwidth.
    /// </summary>
    public long WeightBytesPerStep(int tokens) => _layers.Sum(l => l.WeightBytesPerStep(tokens)) + _head.StoredBytes
        + (_embed.StoredBytes / Config.VocabSize * tokens) + (4L * Config.HiddenSize);

    /// <summary>
    /// Multiply-adds of a token at <paramref name="position"/> through every layer (projections, the routed experts it
    /// chose, attention over position + 1 keys); lm_head is counted when <paramref name="withHead"/> (the prefill
    /// computes it for the last token only). Two FLOPs per multiply-add.
    /// </summary>
    public long MultiplyAddsPerToken(int position, bool withHead) =>
        _layers.Sum(l => l.MultiplyAddsPerToken(position + 1)) + (withHead ? _head.Elements : 0);

    /// <summary>Bytes of every weight this rank holds.</summary>
    public long StoredBytes => _layers.Sum(l => l.StoredBytes) + _embed.StoredBytes + _head.StoredBytes;

    /// <summary>Bytes of KV cache one token takes over all layers: float32 latent + rope key per layer.</summary>
    public long KvCacheBytesPerToken => 4L * Config.NumHiddenLayers * (Config.KvLoraRank + Config.QkRopeHeadDim);

    /// <summary>A cache sized for <paramref name="tokens"/> tokens in blocks of <paramref name="blockSizeTokens"/>.</summary>
    public KvCache CreateKvCache(int tokens, int blockSizeTokens = 16) =>
        new(Config.NumHiddenLayers, Config.KvLoraRank, Config.QkRopeHeadDim, blockSizeTokens,
            Math.Max(1, (tokens + blockSizeTokens - 1) / blockSizeTokens));

    /// <summary>
    /// Runs one step: writes every token's cache rows, and fills <paramref name="logits"/> [batch.LogitRows.Count, vocab]
    /// with the logits of the requested tokens.
    /// </summary>
    // layerCompleted is called after each layer with its index: that layer's cache rows for every token of the step
    // are final, so a prefill can ship them while the next layers compute.
    public void Forward(ForwardBatch batch, RunState s, Span<float> logits, AttentionForm form = AttentionForm.Absorbed,
        ForwardTrace? trace = null, Action<int>? layerCompleted = null)
    {
        _steps.EnterStep();
        try
        {
            ForwardStep(batch, s, logits, form, trace, layerCompleted);
        }
        finally
        {
            _steps.ExitStep();
        }
    }

    /// <summary>
    /// Runs <paramref name="change"/> while no step is in progress (steps wait for it, it waits for running steps):
    /// how the routed experts a rank holds and the placement its peers route by change together, so no layer ever
    /// pairs one with the other's old version.
    /// </summary>
    public void BetweenSteps(Action change) => _steps.Alone(change);

    private void ForwardStep(ForwardBatch batch, RunState s, Span<float> logits, AttentionForm form, ForwardTrace? trace, Action<int>? layerCompleted)
    {
        int n = batch.Count, hidden = Config.HiddenSize, vocab = Config.VocabSize, rows = batch.LogitRows.Count;
        if (logits.Length < rows * vocab)
        {
            throw new ArgumentException($"needs {rows * vocab} floats for {rows} rows of logits", nameof(logits));
        }

        foreach (int position in batch.Positions)
        {
            if (position >= Config.MaxPositionEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(batch), position,
                    $"position beyond max_position_embeddings ({Config.MaxPositionEmbeddings})");
            }
        }

        s.EnsureCapacity(n);
        var h = s.Hidden.AsSpan(0, n * hidden);
        _backend.Embedding(_embed, batch.Tokens, h);
        trace?.Embed = h.ToArray();
        int pairs = Rope.Pairs;
        for (int t = 0; t < n; t++)
        {
            Rope.Angles(batch.Positions[t], s.RopeCos.AsSpan(t * pairs, pairs), s.RopeSin.AsSpan(t * pairs, pairs));
        }

        for (int layer = 0; layer < _layers.Length; layer++)
        {
            LayerTrace? layerTrace = trace is null ? null : NewLayerTrace(n);
            _layers[layer].Forward(_backend, s, batch, form, layerTrace);
            if (layerTrace is not null)
            {
                trace!.Layers.Add(layerTrace);
            }

            layerCompleted?.Invoke(layer);
        }

        if (trace is not null)
        {
            _norm.Forward(_backend, h, n, s.Normed);
            trace.FinalNorm = s.Normed.AsSpan(0, n * hidden).ToArray();
        }

        // Only the requested rows go through the norm and the [vocab, hidden] head.
        var selected = s.Normed.AsSpan(0, rows * hidden);
        for (int r = 0; r < rows; r++)
        {
            h.Slice(batch.LogitRows[r] * hidden, hidden).CopyTo(s.ExpertInput.AsSpan(r * hidden, hidden));
        }

        _norm.Forward(_backend, s.ExpertInput.AsSpan(0, rows * hidden), rows, selected);
        _backend.Linear(selected, rows, _head, 0, vocab, logits[..(rows * vocab)]);
    }

    private LayerTrace NewLayerTrace(int n) => new()
    {
        KvCacheLatent = new float[n * Config.KvLoraRank],
        KvCacheRopeKey = new float[n * Config.QkRopeHeadDim],
    };

    private static void RequireUnquantized(string name, WeightMatrix weight)
    {
        if (weight.Format == WeightFormat.F8E4M3Blocked)
        {
            throw new CheckpointException($"tensor '{name}' is F8_E4M3; DeepSeek-V3 keeps it in BF16");
        }
    }
}
