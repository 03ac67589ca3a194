namespace DeepSeekV3.Inference.Compute;

/// <summary>MLA latent attention, one task per contiguous slice of (token, head) items.</summary>
internal sealed unsafe class LatentAttentionJob : IParallelJob
{
    private float* _qLatent; // [n, heads, rank]
    private float* _qRope;   // [n, heads, rope]
    private float* _output;  // [n, heads, rank]
    private int _heads;
    private ForwardBatch? _batch;
    private int _layer;
    private float _softmaxScale;

    public int Tasks { get; private set; }

    public void Set(float* qLatent, float* qRope, float* output, int heads, ForwardBatch batch, int layer,
        float softmaxScale, int tasks)
    {
        _qLatent = qLatent;
        _qRope = qRope;
        _output = output;
        _heads = heads;
        _batch = batch;
        _layer = layer;
        _softmaxScale = softmaxScale;
        Tasks = tasks;
    }

    /// <summary>Drops the batch reference so a finished step is not kept alive.</summary>
    public void Clear() => _batch = null;

    public void Execute(int task)
    {
        var batch = _batch!;
        var cache = batch.Cache;
        int rank = cache.LatentRank, ropeDim = cache.RopeDim, items = batch.Count * _heads;
        int first = (int)((long)items * task / Tasks);
        int end = (int)((long)items * (task + 1) / Tasks);
        for (int item = first; item < end; item++)
        {
            int t = item / _heads;
            CpuBackend.AttendOne(
                new ReadOnlySpan<float>(_qLatent + ((long)item * rank), rank),
                new ReadOnlySpan<float>(_qRope + ((long)item * ropeDim), ropeDim),
                cache, batch.Tables[t], _layer, batch.Positions[t], _softmaxScale,
                new Span<float>(_output + ((long)item * rank), rank));
        }
    }
}
