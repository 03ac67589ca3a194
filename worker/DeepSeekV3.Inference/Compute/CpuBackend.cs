using System.Numerics.Tensors;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The CPU backend: TensorPrimitives (AVX2/AVX-512 where present) inside, <see cref="Parallel"/> across cores.
/// Weight-reading kernels dequantize each weight row once per call and apply it to every token of the step, so a
/// batch of n tokens reads the weights once, not n times. <see cref="NaiveKernels"/> holds the reference of each op.
/// </summary>
public sealed unsafe class CpuBackend : IComputeBackend
{
    // Below this many multiply-adds a call runs on the calling thread: scheduling would cost more than it saves.
    private const long MinWorkPerTask = 32 * 1024;

    [ThreadStatic]
    private static float[]? t_rowScratch;

    public CpuBackend(int? maxDegreeOfParallelism = null)
    {
        MaxDegreeOfParallelism = maxDegreeOfParallelism ?? Environment.ProcessorCount;
    }

    public int MaxDegreeOfParallelism { get; }

    public void Linear(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int rowStart, int rowCount, Span<float> y)
    {
        int columns = weight.Columns;
        CheckLength(x, (long)n * columns, nameof(x));
        CheckLength(y, (long)n * rowCount, nameof(y));
        var w = weight;
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            nint xAddress = (nint)xPointer, yAddress = (nint)yPointer;
            For(rowCount, (long)n * columns, (first, end) =>
            {
                var input = new ReadOnlySpan<float>((float*)xAddress, n * columns);
                var output = new Span<float>((float*)yAddress, n * rowCount);
                var row = RowScratch(columns);
                for (int r = first; r < end; r++)
                {
                    w.DequantizeRow(rowStart + r, row);
                    for (int t = 0; t < n; t++)
                    {
                        output[(t * rowCount) + r] = TensorPrimitives.Dot(row, input.Slice(t * columns, columns));
                    }
                }
            });
        }
    }

    public void LinearTransposed(ReadOnlySpan<float> x, int n, in WeightMatrix weight, int rowStart, int rowCount,
        Span<float> y)
    {
        int columns = weight.Columns;
        CheckLength(x, (long)n * rowCount, nameof(x));
        CheckLength(y, (long)n * columns, nameof(y));
        var w = weight;
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            nint xAddress = (nint)xPointer, yAddress = (nint)yPointer;
            // Each task owns whole output rows (tokens), so no two tasks write the same element.
            For(n, (long)rowCount * columns, (first, end) =>
            {
                var input = new ReadOnlySpan<float>((float*)xAddress, n * rowCount);
                var output = new Span<float>((float*)yAddress, n * columns);
                var row = RowScratch(columns);
                output[(first * columns)..(end * columns)].Clear();
                for (int r = 0; r < rowCount; r++)
                {
                    w.DequantizeRow(rowStart + r, row);
                    for (int t = first; t < end; t++)
                    {
                        var target = output.Slice(t * columns, columns);
                        TensorPrimitives.MultiplyAdd(row, input[(t * rowCount) + r], target, target);
                    }
                }
            });
        }
    }

    public void Embedding(in WeightMatrix table, ReadOnlySpan<int> tokens, Span<float> y)
    {
        int columns = table.Columns;
        CheckLength(y, (long)tokens.Length * columns, nameof(y));
        for (int t = 0; t < tokens.Length; t++)
        {
            if ((uint)tokens[t] >= (uint)table.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[t], $"token id outside the vocabulary [0, {table.Rows})");
            }

            table.DequantizeRow(tokens[t], y.Slice(t * columns, columns));
        }
    }

    public void RmsNorm(ReadOnlySpan<float> x, int n, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int d = weight.Length;
        CheckLength(x, (long)n * d, nameof(x));
        CheckLength(y, (long)n * d, nameof(y));
        for (int t = 0; t < n; t++)
        {
            var row = x.Slice(t * d, d);
            var target = y.Slice(t * d, d);
            float meanSquare = TensorPrimitives.Dot(row, row) / d;
            float inverseRms = 1f / MathF.Sqrt(meanSquare + eps);
            TensorPrimitives.Multiply(row, inverseRms, target);
            TensorPrimitives.Multiply(target, weight, target);
        }
    }

    public void Add(Span<float> accumulator, ReadOnlySpan<float> x) => TensorPrimitives.Add(accumulator, x, accumulator);

    public void MultiplyAdd(Span<float> accumulator, ReadOnlySpan<float> x, float scale) =>
        TensorPrimitives.MultiplyAdd(x, scale, accumulator, accumulator);

    public void SiluMultiply(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }

    public void Sigmoid(Span<float> x) => TensorPrimitives.Sigmoid(x, x);

    public void Rope(Span<float> x, int rows, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int pairs = cos.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * 2 * pairs, 2 * pairs);
            for (int i = 0; i < pairs; i++)
            {
                float a = row[2 * i], b = row[(2 * i) + 1];
                row[2 * i] = (a * cos[i]) - (b * sin[i]);
                row[(2 * i) + 1] = (a * sin[i]) + (b * cos[i]);
            }
        }
    }

    public void LatentAttention(ReadOnlySpan<float> qLatent, ReadOnlySpan<float> qRope, int heads, ForwardBatch batch,
        int layer, float softmaxScale, Span<float> output)
    {
        var cache = batch.Cache;
        int rank = cache.LatentRank, ropeDim = cache.RopeDim, rowLength = cache.RowLength;
        int n = batch.Count;
        CheckLength(qLatent, (long)n * heads * rank, nameof(qLatent));
        CheckLength(qRope, (long)n * heads * ropeDim, nameof(qRope));
        CheckLength(output, (long)n * heads * rank, nameof(output));
        fixed (float* qLatentPointer = qLatent)
        fixed (float* qRopePointer = qRope)
        fixed (float* outputPointer = output)
        {
            nint qLatentAddress = (nint)qLatentPointer, qRopeAddress = (nint)qRopePointer, outputAddress = (nint)outputPointer;
            long workPerItem = (long)(batch.MaxPosition + 1) * rowLength * 2;
            For(n * heads, workPerItem, (first, end) =>
            {
                for (int item = first; item < end; item++)
                {
                    int t = item / heads;
                    var queryLatent = new ReadOnlySpan<float>((float*)qLatentAddress + ((long)item * rank), rank);
                    var queryRope = new ReadOnlySpan<float>((float*)qRopeAddress + ((long)item * ropeDim), ropeDim);
                    var result = new Span<float>((float*)outputAddress + ((long)item * rank), rank);
                    AttendOne(queryLatent, queryRope, cache, batch.Tables[t], layer, batch.Positions[t], softmaxScale, result);
                }
            });
        }
    }

    private static void AttendOne(ReadOnlySpan<float> queryLatent, ReadOnlySpan<float> queryRope, KvCache cache,
        KvBlockTable table, int layer, int position, float softmaxScale, Span<float> result)
    {
        int rank = cache.LatentRank, rowLength = cache.RowLength, blockSize = cache.BlockSizeTokens;
        int keys = position + 1;
        var scores = RowScratch(keys);
        for (int block = 0, p = 0; p < keys; block++)
        {
            var rows = cache.BlockRows(table, layer, block);
            for (int i = 0; i < blockSize && p < keys; i++, p++)
            {
                var row = rows.Slice(i * rowLength, rowLength);
                scores[p] = (TensorPrimitives.Dot(queryLatent, row[..rank]) + TensorPrimitives.Dot(queryRope, row[rank..]))
                    * softmaxScale;
            }
        }

        var weights = scores[..keys];
        float max = TensorPrimitives.Max(weights);
        TensorPrimitives.Subtract(weights, max, weights);
        TensorPrimitives.Exp(weights, weights);
        TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);

        result.Clear();
        for (int block = 0, p = 0; p < keys; block++)
        {
            var rows = cache.BlockRows(table, layer, block);
            for (int i = 0; i < blockSize && p < keys; i++, p++)
            {
                TensorPrimitives.MultiplyAdd(rows.Slice(i * rowLength, rank), weights[p], result, result);
            }
        }
    }

    /// <summary>Runs body over [0, count) in contiguous chunks, in parallel when the work is large enough.</summary>
    private void For(int count, long workPerItem, Action<int, int> body)
    {
        long totalWork = count * Math.Max(1, workPerItem);
        int tasks = (int)Math.Clamp(totalWork / MinWorkPerTask, 1, Math.Min(MaxDegreeOfParallelism, count));
        if (tasks <= 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, task =>
        {
            int first = (int)((long)count * task / tasks);
            int end = (int)((long)count * (task + 1) / tasks);
            body(first, end);
        });
    }

    private static Span<float> RowScratch(int length)
    {
        if (t_rowScratch is null || t_rowScratch.Length < length)
        {
            t_rowScratch = new float[Math.Max(length, 1024)];
        }

        return t_rowScratch.AsSpan(0, length);
    }

    private static void CheckLength(ReadOnlySpan<float> span, long needed, string name)
    {
        if (span.Length < needed)
        {
            throw new ArgumentException($"needs {needed} elements, has {span.Length}", name);
        }
    }
}
