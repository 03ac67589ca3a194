using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// MLA latent attention of a step. Runs of consecutive tokens of one sequence long enough to be a prefill chunk are cut
/// into blocks of 8 tokens, one task each for all heads (<see cref="PackedLatentAttention"/>; the run's keys are
/// gathered once in <see cref="Set"/>; the blocks nearest the end of the run, which see the most keys, are handed out
/// first); every other token goes in tiles of up to 4 consecutive tokens, one task per (tile, group of heads, key range):
/// the tile's queries are gathered as cache-row-shaped vectors [q_latent | q_rope] and handed to
/// <see cref="LatentAttentionKernel"/>. A group holds as many heads as fit 16 query rows (all 8 of the small model's
/// heads for a decode token), so the heads of a token read its keys once. When a step has fewer tile tasks than
/// threads (batch-1 decode) and a context of two 16-key ranges or more, each tile's keys are split into ranges on several
/// threads, merged by <see cref="Finish"/> (FlashDecoding): one thread reading a 2048-key context alone, or every thread
/// reading all of it for its own heads, left the other core's share of the memory bandwidth unused.
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

    private int _groupHeads; // heads per tile task
    private int _splits;     // key ranges per (tile, head group)
    private float[]? _partialData;  // pinned (AlignedScratch): the three partial arrays below, one after the other
    private float* _partialOutputs; // per split tile task: [MaxGroupRows, rank] unnormalized sums
    private float* _partialMaxima;  // per split tile task: [MaxGroupRows]
    private float* _partialSums;    // per split tile task: [MaxGroupRows]

    /// <summary>
    /// Keys a range holds at least, and the multiple ranges are cut on. Ranges of whole 64-key chunks left a context of
    /// one chunk (a conversation's first 64 tokens) on the calling thread alone while the other core waited: FP8 batch 1,
    /// 32-token context, pool profiles of 3 alternating runs, attention 9.3-13.6 → 7.8-8.8 µs a layer (2026-12-07).
    /// Earlier, at 4 chunks (256 keys) a batch-1 step attended 65-256 keys on the calling thread alone (perf, 16-416 keys:
    /// 7.7 % of the calling thread's decode time in attention, 6.0 % split at one chunk); FP8 batch 1, 4 alternating runs
    /// each, tokens/s: 140 keys 367 → 381, 240 keys 398 → 425, 1000 keys (split either way) 371 → 370.
    /// </summary>
    private const int RangeKeys = 16;

    [ThreadStatic]
    private static float[]? t_queries;

    [ThreadStatic]
    private static float[]? t_outputs;

    public int Tasks => _blockCount + (_tiles * HeadGroups * _splits);

    /// <summary>The run's shape, for <see cref="PoolProfile"/>.</summary>
    public override string ToString() => $"LatentAttention {_blockCount} blocks, {_tiles} tiles x {HeadGroups} head groups x {_splits} key ranges";

    private int HeadGroups => (_heads + _groupHeads - 1) / _groupHeads;

    /// <summary>Plans the step's attention for a pool of <paramref name="threads"/> threads.</summary>
    public void Set(float* qLatent, float* qRope, float* output, int heads, ForwardBatch batch, int layer, float softmaxScale, int threads)
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
                keyFloats += PackedLatentAttention.RunFloats(keys, batch.Cache.RowLength, batch.Cache.LatentRank);
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

        PlanTiles(batch, threads);
    }

    private void PlanTiles(ForwardBatch batch, int threads)
    {
        int widest = 1, longest = 0;
        for (int tile = 0; tile < _tiles; tile++)
        {
            widest = Math.Max(widest, _tileCounts[tile]);
            longest = Math.Max(longest, batch.Positions[_tileStarts[tile]] + _tileCounts[tile]);
        }

        _groupHeads = Math.Clamp(LatentAttentionKernel.MaxGroupRows / widest, 1, _heads);
        _splits = 1;
        int tileTasks = _tiles * HeadGroups;
        if (tileTasks > 0 && tileTasks < threads)
        {
            int units = (longest + RangeKeys - 1) / RangeKeys;
            _splits = Math.Max(1, Math.Min((threads + tileTasks - 1) / tileTasks, units));
        }

        if (_splits > 1)
        {
            int rows = tileTasks * _splits * LatentAttentionKernel.MaxGroupRows, rank = batch.Cache.LatentRank;
            _partialOutputs = (float*)Unsafe.AsPointer(ref AlignedScratch.Get(ref _partialData, checked(rows * (rank + 2)))[0]);
            _partialMaxima = _partialOutputs + ((long)rows * rank);
            _partialSums = _partialMaxima + rows;
        }
    }

    private void PrepareRuns(ForwardBatch batch, int layer, int runCount, long keyFloats)
    {
        _keys = (float*)Unsafe.AsPointer(ref AlignedScratch.Get(ref _keyData, checked((int)keyFloats))[0]);
        for (int r = 0; r < runCount; r++)
        {
            var (first, keys, offset) = _runs[r];
            PackedLatentAttention.PrepareRun(batch.Cache, batch.Tables[first], layer, keys, _keys + offset);
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
            PackedLatentAttention.AttendBlock(_qLatent, _qRope, _output, _heads, blockFirst, blockCount, batch.Positions[blockFirst],
                _keys + offset, keys, rank, ropeDim, _softmaxScale);
            return;
        }

        task -= _blockCount;
        int split = task % _splits, group = task / _splits % HeadGroups, tile = task / _splits / HeadGroups;
        int firstHead = group * _groupHeads, heads = Math.Min(_groupHeads, _heads - firstHead);
        int first = _tileStarts[tile], count = _tileCounts[tile], rows = count * heads;
        int seen = batch.Positions[first] + count; // the tile's last token sees every key up to itself
        int units = (seen + RangeKeys - 1) / RangeKeys;
        int keyStart = units * split / _splits * RangeKeys;
        int keyEnd = Math.Min(seen, units * (split + 1) / _splits * RangeKeys);
        var queries = AlignedScratch.Get(ref t_queries, rows * rowLength);
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

        if (_splits > 1)
        {
            // One key range: its unnormalized sums wait for Finish.
            int rowsStride = LatentAttentionKernel.MaxGroupRows;
            LatentAttentionKernel.AttendTile(queries, count, heads, batch.Positions[first], keyStart, keyEnd, cache, batch.Tables[first],
                _layer, _softmaxScale, new Span<float>(_partialOutputs + ((long)task * rowsStride * rank), rowsStride * rank),
                new Span<float>(_partialMaxima + (task * rowsStride), rowsStride), new Span<float>(_partialSums + (task * rowsStride), rowsStride));
            return;
        }

        var outputs = AlignedScratch.Get(ref t_outputs, rows * rank);
        Span<float> maxima = stackalloc float[rows];
        Span<float> sums = stackalloc float[rows];
        LatentAttentionKernel.AttendTile(queries, count, heads, batch.Positions[first], keyStart, keyEnd, cache, batch.Tables[first],
            _layer, _softmaxScale, outputs, maxima, sums);
        for (int i = 0; i < count; i++)
        {
            for (int h = 0; h < heads; h++)
            {
                long item = ((long)(first + i) * _heads) + firstHead + h;
                int row = (i * heads) + h;
                TensorPrimitives.Divide(outputs.Slice(row * rank, rank), sums[row], new Span<float>(_output + (item * rank), rank));
            }
        }
    }

    /// <summary>After every task ran: merges the key ranges of split tiles into the output (nothing when none were split).</summary>
    public void Finish()
    {
        if (_splits == 1)
        {
            return;
        }

        int rank = _batch!.Cache.LatentRank, rowsStride = LatentAttentionKernel.MaxGroupRows;
        int partialRows = _tiles * HeadGroups * _splits * rowsStride;
        var outputs = new ReadOnlySpan<float>(_partialOutputs, partialRows * rank);
        var maxima = new ReadOnlySpan<float>(_partialMaxima, partialRows);
        var sums = new ReadOnlySpan<float>(_partialSums, partialRows);
        for (int tile = 0; tile < _tiles; tile++)
        {
            for (int group = 0; group < HeadGroups; group++)
            {
                int firstHead = group * _groupHeads, heads = Math.Min(_groupHeads, _heads - firstHead);
                int task = ((tile * HeadGroups) + group) * _splits;
                for (int i = 0; i < _tileCounts[tile]; i++)
                {
                    for (int h = 0; h < heads; h++)
                    {
                        int row = (i * heads) + h;
                        long item = ((long)(_tileStarts[tile] + i) * _heads) + firstHead + h;
                        LatentAttentionKernel.Combine(outputs[(((task * rowsStride) + row) * rank)..], rowsStride * rank,
                            maxima[((task * rowsStride) + row)..], sums[((task * rowsStride) + row)..], rowsStride, _splits,
                            new Span<float>(_output + (item * rank), rank));
                    }
                }
            }
        }
    }
}
