using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py <c>MLA</c>, multi-head latent attention. Queries go through a low rank (q_a_proj → norm → q_b_proj);
/// keys and values are compressed to one latent c per token (kv_a_proj_with_mqa → [c | k_pe]) plus one rope key
/// shared by all heads. Only norm(c) and the roped k_pe are cached. In the absorbed form W_UK (the k_nope rows of
/// kv_b_proj) is folded into each head's query and W_UV (its v rows) applied after attention, so attention reads the
/// 576-float cache rows directly.
/// </summary>
public sealed class Mla
{
    private readonly ModelConfig _config;
    private readonly WeightMatrix _qAProj;  // [q_lora_rank, hidden]
    private readonly RmsNorm _qANorm;       // [q_lora_rank]
    private readonly WeightMatrix _qBProj;  // [heads·(nope + rope), q_lora_rank]
    private readonly WeightMatrix _kvAProj; // [kv_lora_rank + rope, hidden]
    private readonly RmsNorm _kvANorm;      // [kv_lora_rank]
    private readonly WeightMatrix _kvBProj; // [heads·(nope + v), kv_lora_rank], rows grouped by head: [k_nope | v]
    private readonly WeightMatrix _oProj;   // [hidden, heads·v]
    private readonly float _softmaxScale;
    private readonly LinearProduct[] _valueProducts; // W_UV of every head, refilled each grouped step

    public Mla(Checkpoint checkpoint, string prefix, ModelConfig config, YarnRope rope)
    {
        var c = config;
        _config = c;
        float eps = (float)c.RmsNormEps;
        int heads = c.NumAttentionHeads;
        _qAProj = checkpoint.Matrix($"{prefix}.q_a_proj.weight", c.QLoraRank, c.HiddenSize);
        _qANorm = new RmsNorm(checkpoint.Vector($"{prefix}.q_a_layernorm.weight", c.QLoraRank), eps);
        _qBProj = checkpoint.Matrix($"{prefix}.q_b_proj.weight", heads * c.QkHeadDim, c.QLoraRank);
        _kvAProj = checkpoint.Matrix($"{prefix}.kv_a_proj_with_mqa.weight", c.KvLoraRank + c.QkRopeHeadDim, c.HiddenSize);
        _kvANorm = new RmsNorm(checkpoint.Vector($"{prefix}.kv_a_layernorm.weight", c.KvLoraRank), eps);
        _kvBProj = checkpoint.Matrix($"{prefix}.kv_b_proj.weight", heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank);
        _oProj = checkpoint.Matrix($"{prefix}.o_proj.weight", c.HiddenSize, heads * c.VHeadDim);
        _softmaxScale = rope.SoftmaxScale;
        _valueProducts = new LinearProduct[heads];
    }

    /// <summary>Projection multiply-adds of one token (the absorbed W_UK/W_UV products use kv_b_proj once).</summary>
    public long MultiplyAddsPerToken => _qAProj.Elements + _qBProj.Elements + _kvAProj.Elements + _kvBProj.Elements + _oProj.Elements;

    /// <summary>Attention multiply-adds of one token attending to <paramref name="keys"/> cached positions.</summary>
    public long AttentionMultiplyAdds(int keys) =>
        (long)keys * _config.NumAttentionHeads * ((2L * _config.KvLoraRank) + _config.QkRopeHeadDim);

    public long StoredBytes => _qAProj.StoredBytes + _qBProj.StoredBytes + _kvAProj.StoredBytes + _kvBProj.StoredBytes
        + _oProj.StoredBytes + (4L * (_qANorm.Dim + _kvANorm.Dim));

    /// <summary>s.LayerOut[n, hidden] = MLA(s.Normed[n, hidden]); writes this layer's cache rows for every token first.</summary>
    public void Forward(IComputeBackend backend, RunState s, ForwardBatch batch, int layer, AttentionForm form,
        LayerTrace? trace)
    {
        var c = _config;
        int n = batch.Count, heads = c.NumAttentionHeads, nope = c.QkNopeHeadDim, ropeDim = c.QkRopeHeadDim;
        int rank = c.KvLoraRank, qkDim = c.QkHeadDim, pairs = ropeDim / 2;

        var queryLowRank = s.QueryLowRank.AsSpan(0, n * c.QLoraRank);
        var kvLowRank = s.KvLowRank.AsSpan(0, n * (rank + ropeDim));
        // q_a_proj and kv_a_proj_with_mqa read the same input: one dispatch for both.
        unsafe
        {
            fixed (float* input = s.Normed)
            fixed (float* queryOut = s.QueryLowRank)
            fixed (float* kvOut = s.KvLowRank)
            {
                Span<LinearProduct> products = [new(_qAProj, input, n, queryOut), new(_kvAProj, input, n, kvOut)];
                backend.LinearGroup(products);
            }
        }

        _qANorm.Forward(backend, queryLowRank, n, queryLowRank);
        var query = s.Query.AsSpan(0, n * heads * qkDim);
        backend.Linear(queryLowRank, n, _qBProj, 0, heads * qkDim, query);

        // Cache row = [kv_a_layernorm(c) | rope(k_pe)]: everything later steps need from this token; and the roped q_pe.
        var queryRope = s.QueryRope.AsSpan(0, n * heads * ropeDim);
        backend.PrepareAttentionRows(kvLowRank, _kvANorm.Weight, _kvANorm.Epsilon, query, heads, nope, s.RopeCos.AsSpan(0, n * pairs),
            s.RopeSin.AsSpan(0, n * pairs), batch, layer, queryRope);
        for (int t = 0; trace is not null && t < n; t++)
        {
            var row = batch.Cache.Row(batch.Tables[t], layer, batch.Positions[t]);
            row[..rank].CopyTo(trace.KvCacheLatent.AsSpan(t * rank, rank));
            row[rank..].CopyTo(trace.KvCacheRopeKey.AsSpan(t * ropeDim, ropeDim));
        }

        var attentionHeads = s.AttentionHeads.AsSpan(0, n * heads * c.VHeadDim);
        if (form == AttentionForm.Absorbed)
        {
            AttendAbsorbed(backend, s, batch, layer);
        }
        else
        {
            MlaNaiveAttention.Attend(_kvBProj, c, query, queryRope, batch, layer, _softmaxScale, attentionHeads);
        }

        backend.Linear(attentionHeads, n, _oProj, 0, c.HiddenSize, s.LayerOut.AsSpan(0, n * c.HiddenSize));
    }

    /// <summary>
    /// Steps of up to this many tokens (decode) run the per-head W_UK and W_UV products on [heads, n, ·] copies, through the
    /// decode kernels; longer ones in place, through <see cref="IComputeBackend.AbsorbHeads"/> and
    /// <see cref="IComputeBackend.ApplyHeads"/>. Either way all heads are one dispatch: one head's product of a decode step
    /// is a few thousand multiply-adds per token, less than waking the pool costs.
    /// </summary>
    internal const int GroupedHeadTokens = 16;

    private void AttendAbsorbed(IComputeBackend backend, RunState s, ForwardBatch batch, int layer)
    {
        var c = _config;
        int n = batch.Count, heads = c.NumAttentionHeads, rank = c.KvLoraRank;
        AbsorbQueries(backend, s, n);
        backend.LatentAttention(s.QueryLatent.AsSpan(0, n * heads * rank), s.QueryRope.AsSpan(0, n * heads * c.QkRopeHeadDim), heads,
            batch, layer, _softmaxScale, s.OutputLatent.AsSpan(0, n * heads * rank));
        ApplyValues(backend, s, n);
    }

    /// <summary>
    /// q_latent[t, h] = q_nope[t, h] · W_UK[h] ([nope] · [nope, rank] → [rank]), all heads in one dispatch: in place inside
    /// Query and QueryLatent for long steps, through [heads, n, ·] copies for decode-sized ones (whose kernel takes them).
    /// </summary>
    private void AbsorbQueries(IComputeBackend backend, RunState s, int n)
    {
        var c = _config;
        int heads = c.NumAttentionHeads, nope = c.QkNopeHeadDim, rank = c.KvLoraRank, headRows = nope + c.VHeadDim;
        if (n > GroupedHeadTokens)
        {
            backend.AbsorbHeads(s.Query.AsSpan(0, n * heads * c.QkHeadDim), heads * c.QkHeadDim, c.QkHeadDim, n, _kvBProj, heads, headRows,
                nope, s.QueryLatent.AsSpan(0, n * heads * rank), heads * rank);
            return;
        }

        var nopes = s.HeadNope.AsSpan(0, heads * n * nope);      // [heads, n, nope]
        var latents = s.HeadLatent.AsSpan(0, heads * n * rank);  // [heads, n, rank]
        GatherHeads(backend, s.Query, heads, c.QkHeadDim, n, nopes, nope);
        backend.LinearTransposedHeads(nopes, n, _kvBProj, heads, headRows, nope, latents);
        ScatterHeads(backend, latents, n, s.QueryLatent, heads, rank);
    }

    /// <summary>
    /// out[t, h] = W_UV[h] · o_latent[t, h] ([v, rank] · [rank] → [v]): in place inside OutputLatent and AttentionHeads for
    /// long steps, one grouped dispatch over [heads, n, ·] copies for decode-sized ones.
    /// </summary>
    private unsafe void ApplyValues(IComputeBackend backend, RunState s, int n)
    {
        var c = _config;
        int heads = c.NumAttentionHeads, nope = c.QkNopeHeadDim, rank = c.KvLoraRank, vDim = c.VHeadDim, headRows = nope + vDim;
        if (n > GroupedHeadTokens)
        {
            backend.ApplyHeads(s.OutputLatent.AsSpan(0, n * heads * rank), heads * rank, rank, n, _kvBProj, heads, headRows, nope, vDim,
                s.AttentionHeads.AsSpan(0, n * heads * vDim), heads * vDim);
            return;
        }

        var latents = s.HeadLatent.AsSpan(0, heads * n * rank); // [heads, n, rank]
        var values = s.HeadValue.AsSpan(0, heads * n * vDim);   // [heads, n, v]
        GatherHeads(backend, s.OutputLatent, heads, rank, n, latents, rank);
        fixed (float* latentPointer = latents)
        fixed (float* valuePointer = values)
        {
            for (int h = 0; h < heads; h++)
            {
                _valueProducts[h] = new LinearProduct(_kvBProj, (h * headRows) + nope, vDim, latentPointer + ((long)h * n * rank), n,
                    valuePointer + ((long)h * n * vDim));
            }

            backend.LinearGroup(_valueProducts);
        }

        ScatterHeads(backend, values, n, s.AttentionHeads, heads, vDim);
    }

    /// <summary>target[h, t] = source[t, h, 0 .. length) for h &lt; heads, t &lt; n; source [n, heads, rowLength].</summary>
    /// (Through the backend, which splits large copies across the pool.) One token's heads are one strided copy: a copy per
    /// head was 32 pool runs a layer at batch 1.
    private static void GatherHeads(IComputeBackend backend, ReadOnlySpan<float> source, int heads, int rowLength, int n, Span<float> target,
        int length)
    {
        if (n == 1)
        {
            backend.CopyRows(source, rowLength, target, length, heads, length);
            return;
        }

        for (int h = 0; h < heads; h++)
        {
            backend.CopyRows(source[(h * rowLength)..], heads * rowLength, target[(h * n * length)..], length, n, length);
        }
    }

    /// <summary>target[t, h] = source[h, t] for h &lt; heads, t &lt; n; rows of <paramref name="length"/>, target [n, heads, length].</summary>
    private static void ScatterHeads(IComputeBackend backend, ReadOnlySpan<float> source, int n, Span<float> target, int heads, int length)
    {
        if (n == 1)
        {
            backend.CopyRows(source, length, target, length, heads, length);
            return;
        }

        for (int h = 0; h < heads; h++)
        {
            backend.CopyRows(source[(h * n * length)..], length, target[(h * length)..], heads * length, n, length);
        }
    }
}
