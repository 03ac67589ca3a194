using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py <c>Block</c>: h += MLA(attn_norm(h)); h += FFN(ffn_norm(h)), where FFN is a dense MLP for the first
/// first_k_dense_replace layers and MoE after.
/// </summary>
public sealed class Block
{
    private readonly int _layer;
    private readonly int _hidden;
    private readonly RmsNorm _attnNorm;
    private readonly Mla _attn;
    private readonly RmsNorm _ffnNorm;
    private readonly Mlp? _mlp;
    private readonly Moe? _moe;

    public Block(Checkpoint checkpoint, int layer, ModelConfig config, YarnRope rope, WeightMap weightMap, IExpertPeers? peers = null)
    {
        string prefix = $"model.layers.{layer}";
        float eps = (float)config.RmsNormEps;
        _layer = layer;
        _hidden = config.HiddenSize;
        _attnNorm = new RmsNorm(checkpoint.Vector($"{prefix}.input_layernorm.weight", config.HiddenSize), eps);
        _attn = new Mla(checkpoint, $"{prefix}.self_attn", config, rope);
        _ffnNorm = new RmsNorm(checkpoint.Vector($"{prefix}.post_attention_layernorm.weight", config.HiddenSize), eps);
        if (config.IsMoeLayer(layer))
        {
            _moe = new Moe(checkpoint, $"{prefix}.mlp", config, weightMap, layer, peers);
        }
        else
        {
            _mlp = new Mlp(checkpoint, $"{prefix}.mlp", config.HiddenSize, config.IntermediateSize);
        }
    }

    /// <summary>The MoE of this layer, or null for the first dense layers.</summary>
    public Moe? Moe => _moe;

    /// <summary>Multiply-adds of one token at a position with <paramref name="keys"/> cached keys (itself included).</summary>
    public long MultiplyAddsPerToken(int keys) => _attn.MultiplyAddsPerToken + _attn.AttentionMultiplyAdds(keys)
        + (_mlp?.MultiplyAddsPerToken ?? 0) + (_moe?.MultiplyAddsPerToken ?? 0);

    public long StoredBytes => _attn.StoredBytes + (_mlp?.StoredBytes ?? 0) + (_moe?.StoredBytes ?? 0) + (8L * _hidden);

    /// <summary>Bytes of weights a step of <paramref name="tokens"/> tokens reads at most.</summary>
    public long WeightBytesPerStep(int tokens) => _attn.StoredBytes + (_mlp?.StoredBytes ?? 0)
        + (_moe?.WeightBytesPerStep(tokens) ?? 0) + (8L * _hidden);

    /// <summary>Updates the residual stream s.Hidden [n, hidden] in place.</summary>
    public void Forward(IComputeBackend backend, RunState s, ForwardBatch batch, AttentionForm form, LayerTrace? trace)
    {
        int n = batch.Count;
        var hidden = s.Hidden.AsSpan(0, n * _hidden);
        var normed = s.Normed.AsSpan(0, n * _hidden);
        var layerOut = s.LayerOut.AsSpan(0, n * _hidden);

        _attnNorm.Forward(backend, hidden, n, normed);
        _attn.Forward(backend, s, batch, _layer, form, trace);
        trace?.AttnOut = layerOut.ToArray();
        backend.Add(hidden, layerOut);

        _ffnNorm.Forward(backend, hidden, n, normed);
        if (_moe is not null)
        {
            _moe.Forward(backend, s, n, trace);
        }
        else
        {
            _mlp!.Forward(backend, s, normed, n, layerOut);
        }

        trace?.FfnOut = layerOut.ToArray();
        backend.Add(hidden, layerOut);
        trace?.BlockOut = hidden.ToArray();
    }
}
