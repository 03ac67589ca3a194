namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// What MLA needs of each token before attention (<see cref="IComputeBackend.PrepareAttentionRows"/>): its cache row of
/// the layer, [kv_norm(c) | rope(k_pe)], and every head's roped q_pe. Tokens are independent, so a prefill splits them
/// across the pool in contiguous slices; run on the calling thread, a 1024-token prefill's loop left the other cores
/// asleep for a millisecond per layer and paid their wake-up after it.
/// </summary>
internal sealed unsafe class AttentionRowsJob : IParallelJob
{
    private ForwardBatch? _batch;
    private int _layer;
    private float* _kv;          // [n, rank + rope]
    private float* _normWeight;  // [rank]
    private float _epsilon;
    private float* _query;       // [n, heads, nope + rope]
    private int _heads;
    private int _nope;
    private float* _cos;         // [n, rope / 2]
    private float* _sin;
    private float* _queryRope;   // [n, heads, rope]

    public int Tasks { get; private set; }

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"AttentionRows {_batch?.Count} tokens, {_heads} heads, {Tasks} tasks";

    public void Set(ForwardBatch batch, int layer, float* kv, float* normWeight, float epsilon, float* query, int heads, int nope, float* cos,
        float* sin, float* queryRope, int tasks)
    {
        _batch = batch;
        _layer = layer;
        _kv = kv;
        _normWeight = normWeight;
        _epsilon = epsilon;
        _query = query;
        _heads = heads;
        _nope = nope;
        _cos = cos;
        _sin = sin;
        _queryRope = queryRope;
        Tasks = Math.Clamp(tasks, 1, batch.Count);
    }

    public void Execute(int task)
    {
        int n = _batch!.Count;
        for (int t = (int)((long)n * task / Tasks), end = (int)((long)n * (task + 1) / Tasks); t < end; t++)
        {
            Prepare(t);
        }
    }

    /// <summary>Token t's cache row and roped query heads.</summary>
    public void Prepare(int t)
    {
        var batch = _batch!;
        var cache = batch.Cache;
        int rank = cache.LatentRank, ropeDim = cache.RopeDim, pairs = ropeDim / 2, qkDim = _nope + ropeDim;
        var cos = new ReadOnlySpan<float>(_cos + ((long)t * pairs), pairs);
        var sin = new ReadOnlySpan<float>(_sin + ((long)t * pairs), pairs);
        var row = cache.Row(batch.Tables[t], _layer, batch.Positions[t]);
        float* source = _kv + ((long)t * (rank + ropeDim));
        ElementwiseJob.RmsNormRow(new ReadOnlySpan<float>(source, rank), new ReadOnlySpan<float>(_normWeight, rank), _epsilon, row[..rank]);
        new ReadOnlySpan<float>(source + rank, ropeDim).CopyTo(row[rank..]);
        Rope(row[rank..], cos, sin);
        for (int h = 0; h < _heads; h++)
        {
            var target = new Span<float>(_queryRope + ((((long)t * _heads) + h) * ropeDim), ropeDim);
            new ReadOnlySpan<float>(_query + ((((long)t * _heads) + h) * qkDim) + _nope, ropeDim).CopyTo(target);
            Rope(target, cos, sin);
        }
    }

    /// <summary>model.py's apply_rotary_emb on one row: pairs (2i, 2i + 1) rotated by the position's angle i.</summary>
    public static void Rope(Span<float> row, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        for (int i = 0; i < cos.Length; i++)
        {
            float a = row[2 * i], b = row[(2 * i) + 1];
            row[2 * i] = (a * cos[i]) - (b * sin[i]);
            row[(2 * i) + 1] = (a * sin[i]) + (b * cos[i]);
        }
    }
}
