namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The operations the model needs, and nothing above this interface knows which device runs them.
/// All activations are float32 row-major; weights stay in their stored format and are dequantized inside the
/// kernels. Shapes are given in the parameter comments: n = tokens in the step.
/// </summary>
public interface IComputeBackend
{
    /// <summary>y[n, rowCount] = x[n, W.Columns] · W[rowStart..rowStart+rowCount)ᵀ (nn.Linear on a row slice).</summary>
    void Linear(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int rowStart, int rowCount, Span<float> y);

    /// <summary>Runs independent <see cref="LinearProduct"/>s (whole weights or row slices) as one dispatch.</summary>
    void LinearGroup(ReadOnlySpan<LinearProduct> products);

    /// <summary>y[n, W.Columns] = x[n, rowCount] · W[rowStart..rowStart+rowCount) (the absorbed W_UK product).</summary>
    void LinearTransposed(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int rowStart, int rowCount, Span<float> y);

    /// <summary>
    /// <see cref="LinearTransposed"/> for every head in one dispatch: y[h] = x[h] · W[h·headRowStride .. + rowCount) for
    /// h &lt; heads; x [heads, n, rowCount], y [heads, n, W.Columns] (the absorbed W_UK product of a decode step).
    /// </summary>
    void LinearTransposedHeads(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int heads, int headRowStride, int rowCount,
        Span<float> y);

    /// <summary>
    /// The absorbed W_UK product of a prefill-sized step, every head in one dispatch and in place:
    /// y[t·yRowStride + h·W.Columns + c] = Σ_r x[t·xRowStride + h·xHeadStride + r] · W[h·headRowStride + r, c] for t &lt; n,
    /// h &lt; heads, r &lt; rowCount (x and y are [tokens, heads, ·] buffers; nothing else of y is written).
    /// </summary>
    void AbsorbHeads(ReadOnlySpan<float> x, int xRowStride, int xHeadStride, int n, in WeightMatrix weight, int heads, int headRowStride,
        int rowCount, Span<float> y, int yRowStride);

    /// <summary>
    /// The absorbed W_UV product of a prefill-sized step, every head in one dispatch and in place:
    /// y[t·yRowStride + h·rowCount + v] = Σ_c W[h·headRowStride + rowStart + v, c] · x[t·xRowStride + h·xHeadStride + c] for
    /// t &lt; n, h &lt; heads, v &lt; rowCount, c &lt; W.Columns (nothing else of y is written).
    /// </summary>
    void ApplyHeads(ReadOnlySpan<float> x, int xRowStride, int xHeadStride, int n, in WeightMatrix weight, int heads, int headRowStride,
        int rowStart, int rowCount, Span<float> y, int yRowStride);

    /// <summary>
    /// For every token t of <paramref name="batch"/>: its cache row of <paramref name="layer"/> becomes
    /// [rmsnorm(kv[t, ..rank]) · kvNormWeight | rope(kv[t, rank..])] (model.py's kv_norm and apply_rotary_emb on k_pe), and
    /// queryRope[t, h] = rope(query[t, h, nope..]) for every head; kv [n, rank + rope], query [n, heads, nope + rope],
    /// cos and sin [n, rope / 2].
    /// </summary>
    void PrepareAttentionRows(ReadOnlySpan<float> kvLowRank, ReadOnlySpan<float> kvNormWeight, float eps, ReadOnlySpan<float> query,
        int heads, int nope, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, ForwardBatch batch, int layer, Span<float> queryRope);

    /// <summary>y[n, W.Columns] = rows <paramref name="tokens"/> of the table.</summary>
    void Embedding(in WeightMatrix table, ReadOnlySpan<int> tokens, Span<float> y);

    /// <summary>y[n, d] = x · rsqrt(mean(x²) + eps) · weight, row by row (F.rms_norm).</summary>
    void RmsNorm(ReadOnlySpan<float> x, int n, ReadOnlySpan<float> weight, float eps, Span<float> y);

    /// <summary>accumulator += x, elementwise.</summary>
    void Add(Span<float> accumulator, ReadOnlySpan<float> x);

    /// <summary>accumulator += scale · x, elementwise.</summary>
    void MultiplyAdd(Span<float> accumulator, ReadOnlySpan<float> x, float scale);

    /// <summary>gate = silu(gate) · up, elementwise (the SwiGLU of DeepSeek's MLP).</summary>
    void SiluMultiply(Span<float> gate, ReadOnlySpan<float> up);

    /// <summary>target[i] = source row rows[i] (rows of <paramref name="rowLength"/>): the MoE's gather by expert.</summary>
    void GatherRows(ReadOnlySpan<float> source, int rowLength, ReadOnlySpan<int> rows, Span<float> target);

    /// <summary>
    /// target[i · targetStride ..][..length] = source[i · sourceStride ..][..length] for i &lt; rows: a strided block copy,
    /// such as one head's slice of every token gathered before the absorbed attention products and scattered after.
    /// </summary>
    void CopyRows(ReadOnlySpan<float> source, int sourceStride, Span<float> target, int targetStride, int rows, int length);

    /// <summary>
    /// output[t] += Σ_j weights[p] · rows[p] for p = positions[t·perToken + j] in j order, skipping p &lt; 0, for every
    /// token t &lt; n: the MoE combine (model.py's y[idx] += expert(x[idx]) · weights), one token per output row.
    /// </summary>
    void AddWeightedRows(Span<float> output, int n, int perToken, ReadOnlySpan<float> rows, int rowLength,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> weights);

    /// <summary>
    /// output[t] = (Σ_j weights[p] · rows[p] for p = positions[t·perToken + j] in j order, skipping p &lt; 0) + sharedExperts[t]
    /// for every token t &lt; n: the whole MoE combine of model.py (the routed experts in expert order, then the shared
    /// experts) in one pass over output, with the same roundings as clearing output, <see cref="AddWeightedRows"/> and
    /// adding sharedExperts.
    /// </summary>
    void CombineExperts(Span<float> output, int n, int perToken, ReadOnlySpan<float> rows, int rowLength, ReadOnlySpan<int> positions,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> sharedExperts);

    /// <summary>x = 1 / (1 + exp(-x)), elementwise.</summary>
    void Sigmoid(Span<float> x);

    /// <summary>
    /// MLA attention in the latent space for every token t and head h:
    /// score_p = (qLatent[t,h]·latent_p + qRope[t,h]·ropeKey_p) · softmaxScale over the cached positions p ≤ pos_t,
    /// output[t,h] = Σ softmax(score)_p · latent_p.
    /// qLatent [n, heads, kvLoraRank], qRope [n, heads, ropeDim], output [n, heads, kvLoraRank].
    /// </summary>
    void LatentAttention(ReadOnlySpan<float> qLatent, ReadOnlySpan<float> qRope, int heads, ForwardBatch batch,
        int layer, float softmaxScale, Span<float> output);
}
