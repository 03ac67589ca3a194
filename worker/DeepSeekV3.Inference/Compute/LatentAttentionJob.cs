namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA latent attention of a step, one task per (tile of up to 4 consecutive tokens of one sequence, head): the query
/// tile is gathered as cache-row-shaped vectors [q_latent | q_rope] and handed to <see cref="LatentAttentionKernel"/>.
/// Tiles are found once per step by <see cref="Set"/>; nothing is allocated once the tile list has grown.
/// </summary>
internal sealed unsafe class LatentAttentionJob : IParallelJob
{
    private float* _qLatent; // [n, heads, rank]
    private float* _qRope;   // [n, heads, rope]
    private float* _output;  // [n, heads, rank]
    private int _heads;
    private ForwardBatch? _batch;
    private int _layer;
    private float _softmaxScale;
    private int[] _tileStarts = new int[64]; // first token of each tile
    private int[] _tileCounts = new int[64];
    private int _tiles;

    public int Tasks => _tiles * _heads;

    public void Set(float* qLatent, float* qRope, float* output, int heads, ForwardBatch batch, int layer, float softmaxScale)
    {
        _qLatent = qLatent;
        _qRope = qRope;
        _output = output;
        _heads = heads;
        _batch = batch;
        _layer = layer;
        _softmaxScale = softmaxScale;
        _tiles = 0;
        var tables = batch.Tables;
        var positions = batch.Positions;
        for (int t = 0; t < batch.Count;)
        {
            int count = 1;
            while (count < LatentAttentionKernel.TileTokens && t + count < batch.Count
                && tables[t + count] == tables[t] && positions[t + count] == positions[t] + count)
            {
                count++;
            }

            if (_tiles == _tileStarts.Length)
            {
                Array.Resize(ref _tileStarts, _tiles * 2);
                Array.Resize(ref _tileCounts, _tiles * 2);
            }

            _tileStarts[_tiles] = t;
            _tileCounts[_tiles++] = count;
            t += count;
        }
    }

    /// <summary>Drops the batch reference so a finished step is not kept alive.</summary>
    public void Clear() => _batch = null;

    public void Execute(int task)
    {
        var batch = _batch!;
        var cache = batch.Cache;
        int rank = cache.LatentRank, ropeDim = cache.RopeDim, rowLength = cache.RowLength;
        int tile = task / _heads, head = task % _heads;
        int first = _tileStarts[tile], count = _tileCounts[tile];
        Span<float> queries = stackalloc float[LatentAttentionKernel.TileTokens * rowLength];
        Span<float> outputs = stackalloc float[LatentAttentionKernel.TileTokens * rank];
        for (int i = 0; i < count; i++)
        {
            long item = ((long)(first + i) * _heads) + head;
            new ReadOnlySpan<float>(_qLatent + (item * rank), rank).CopyTo(queries.Slice(i * rowLength, rank));
            new ReadOnlySpan<float>(_qRope + (item * ropeDim), ropeDim).CopyTo(queries.Slice((i * rowLength) + rank, ropeDim));
        }

        LatentAttentionKernel.AttendTile(queries[..(count * rowLength)], count, batch.Positions[first], cache, batch.Tables[first],
            _layer, _softmaxScale, outputs);
        for (int i = 0; i < count; i++)
        {
            long item = ((long)(first + i) * _heads) + head;
            outputs.Slice(i * rank, rank).CopyTo(new Span<float>(_output + (item * rank), rank));
        }
    }
}
