using System.Runtime.CompilerServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA latent attention of a step. Runs of consecutive tokens of one sequence long enough to be a prefill chunk are cut
/// into blocks of 8 tokens, one task each for all heads (<see cref="PackedLatentAttention"/>; the run's keys are
/// gathered once in <see cref="Set"/>; the blocks nearest the end of the run, which see the most keys, are handed out
/// first); every other token goes in tiles of up to 4 consecutive tokens, one task per (tile, group of up to 4 heads):
/// the tile's queries are gathered as cache-row-shaped vectors [q_latent | q_rope] and handed to
/// <see cref="LatentAttentionKernel"/>.
/// Nothing is allocated once the lists and the key buffer have grown.
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
    private (int First, int Count, int Run)[] _blocks = new (int, int, int)[64];
    private int _blockCount;
    private (int First, int Keys, long Offset)[] _runs = new (int, int, long)[4]; // offset of the run's keys from _keys
    private float[]? _keyData; // pinned (AlignedScratch): tasks hold its address
    private float* _keys;      // its 64-byte aligned start

    [ThreadStatic]
    private static float[]? t_queries;

    [ThreadStatic]
    private static float[]? t_outputs;

    public int Tasks => _blockCount + (_tiles * HeadGroups);

    private int HeadGroups => (_heads + LatentAttentionKernel.GroupHeads - 1) / LatentAttentionKernel.GroupHeads;

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
        _blockCount = 0;
        int runCount = 0;
        long keyFloats = 0;
        var tables = batch.Tables;
        var positions = batch.Positions;
        for (int t = 0; t < batch.Count;)
        {
            int length = 1;
            while (t + length < batch.Count && tables[t + length] == tables[t] && positions[t + length] == positions[t] + length)
            {
                length++;
            }

            int keys = positions[t] + length;
            if (length >= PackedLatentAttention.MinRunTokens && keys <= PackedLatentAttention.MaxKeys && PackedLatentAttention.IsSupported)
            {
                Append(ref _runs, runCount++, (t, keys, keyFloats));
                keyFloats += (long)keys * (batch.Cache.RowLength + batch.Cache.LatentRank);
                for (int first = t; first < t + length; first += PackedLatentAttention.BlockTokens)
                {
                    Append(ref _blocks, _blockCount++, (first, Math.Min(PackedLatentAttention.BlockTokens, t + length - first), runCount - 1));
                }
            }
            else
            {
                for (int first = t; first < t + length; first += LatentAttentionKernel.TileTokens)
                {
                    Append(ref _tileStarts, _tiles, first);
                    Append(ref _tileCounts, _tiles++, Math.Min(LatentAttentionKernel.TileTokens, t + length - first));
                }
            }

            t += length;
        }

        if (runCount > 0)
        {
            PrepareRuns(batch, layer, runCount, keyFloats);
        }
    }

    private void PrepareRuns(ForwardBatch batch, int layer, int runCount, long keyFloats)
    {
        _keys = (float*)Unsafe.AsPointer(ref AlignedScratch.Get(ref _keyData, checked((int)keyFloats))[0]);
        for (int r = 0; r < runCount; r++)
        {
            var (first, keys, offset) = _runs[r];
            PackedLatentAttention.PrepareKeys(batch.Cache, batch.Tables[first], layer, keys, _keys + offset,
                _keys + offset + ((long)keys * batch.Cache.RowLength));
        }
    }

    private static void Append<T>(ref T[] array, int index, T value)
    {
        if (index == array.Length)
        {
            Array.Resize(ref array, array.Length * 2);
        }

        array[index] = value;
    }

    /// <summary>Drops the batch reference so a finished step is not kept alive.</summary>
    public void Clear() => _batch = null;

    public void Execute(int task)
    {
        var batch = _batch!;
        var cache = batch.Cache;
        int rank = cache.LatentRank, ropeDim = cache.RopeDim, rowLength = cache.RowLength;
        if (task < _blockCount)
        {
            var (blockFirst, blockCount, run) = _blocks[_blockCount - 1 - task];
            var (_, keys, offset) = _runs[run];
            float* keyRows = _keys + offset;
            PackedLatentAttention.AttendBlock(_qLatent, _qRope, _output, _heads, blockFirst, blockCount, batch.Positions[blockFirst],
                keyRows, keyRows + ((long)keys * rowLength), keys, rank, ropeDim, _softmaxScale);
            return;
        }

        task -= _blockCount;
        int tile = task / HeadGroups, firstHead = task % HeadGroups * LatentAttentionKernel.GroupHeads;
        int heads = Math.Min(LatentAttentionKernel.GroupHeads, _heads - firstHead);
        int first = _tileStarts[tile], count = _tileCounts[tile];
        var queries = AlignedScratch.Get(ref t_queries, count * heads * rowLength);
        var outputs = AlignedScratch.Get(ref t_outputs, count * heads * rank);
        for (int i = 0; i < count; i++)
        {
            for (int h = 0; h < heads; h++)
            {
                long item = ((long)(first + i) * _heads) + firstHead + h;
                var query = queries.Slice(((i * heads) + h) * rowLength, rowLength);
                new ReadOnlySpan<float>(_qLatent + (item * rank), rank).CopyTo(query);
                new ReadOnlySpan<float>(_qRope + (item * ropeDim), ropeDim).CopyTo(query[rank..]);
            }
        }

        LatentAttentionKernel.AttendTile(queries, count, heads, batch.Positions[first], cache, batch.Tables[first], _layer,
            _softmaxScale, outputs);
        for (int i = 0; i < count; i++)
        {
            long item = ((long)(first + i) * _heads) + firstHead;
            outputs.Slice(i * heads * rank, heads * rank).CopyTo(new Span<float>(_output + (item * rank), heads * rank));
        }
    }
}
