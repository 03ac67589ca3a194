using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// One product shape through the engine's linear path (<see cref="CpuBackend.Linear"/>, every kernel choice and task
/// cut as in a model step), the way an expert or a projection of a model runs: <c>copies</c> weights of the shape are
/// multiplied in turn, so with enough copies (more bytes than the last-level cache) each product reads its weights from
/// memory, and with one that fits it reads them from cache. Best of several windows over all copies. The reproducible form of the
/// per-shape figures the kernels' comments quote.
/// </summary>
public static unsafe class ShapeBenchmark
{
    private const int Windows = 7;

    public static ShapeResult Measure(CpuBackend backend, ProductShape shape, int tokens, int copies) =>
        Measure(backend, shape, [tokens], copies)[0];

    /// <summary>
    /// One figure per token count, all on the same weights (filled once: a large shape takes seconds). With
    /// <paramref name="hugePages"/> the weight codes live in a <see cref="HugePageArena"/>, as a checkpoint's are
    /// under <see cref="WeightMemory.HugePages"/>; else they stay on the heap's 4 KiB pages.
    /// </summary>
    public static ShapeResult[] Measure(CpuBackend backend, ProductShape shape, IReadOnlyList<int> tokenCounts, int copies,
        bool hugePages = false)
    {
        using var arena = hugePages ? new HugePageArena() : null;
        long codeBytes = shape.StoredBytes;
        int scaleRows = (shape.Rows + 127) / 128, scaleColumns = (shape.Columns + 127) / 128;
        var data = new byte*[copies];
        float* scales = (float*)NativeMemory.AlignedAlloc((nuint)(scaleRows * scaleColumns * sizeof(float)), 64);
        try
        {
            new Span<float>(scales, scaleRows * scaleColumns).Fill(1f / 256);
            var weights = new WeightMatrix[copies];
            for (int c = 0; c < copies; c++)
            {
                // Filled where they will be read: an arena frees its own memory, heap blocks are freed below.
                byte* codes = arena is null ? data[c] = (byte*)NativeMemory.AlignedAlloc((nuint)codeBytes, 64) : arena.Allocate(codeBytes);
                Fill(new Span<byte>(codes, checked((int)codeBytes)), shape.Format, seed: (ulong)(11 + c));
                weights[c] = new WeightMatrix(shape.Format, shape.Rows, shape.Columns, codes, shape.Format == WeightFormat.BF16 ? null : scales);
            }

            return [.. tokenCounts.Select(tokens => Time(backend, shape, weights, tokens))];
        }
        finally
        {
            foreach (var pointer in data)
            {
                NativeMemory.AlignedFree(pointer);
            }

            NativeMemory.AlignedFree(scales);
        }
    }

    private static ShapeResult Time(CpuBackend backend, ProductShape shape, WeightMatrix[] weights, int tokens)
    {
        var x = new float[tokens * shape.Columns];
        var y = new float[tokens * shape.Rows];
        var random = new DeterministicRandom(7);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextUInt64() % 2000) / 1000.0) - 1f;
        }

        foreach (var weight in weights)
        {
            backend.Linear(x, tokens, weight, 0, shape.Rows, y); // warm-up: page tables, JIT
        }

        double best = double.MaxValue;
        for (int window = 0; window < Windows; window++)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (var weight in weights)
            {
                backend.Linear(x, tokens, weight, 0, shape.Rows, y);
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / weights.Length);
        }

        long weightBytes = weights[0].StoredBytes; // what a product streams: the codes and, for FP8, their scales
        return new ShapeResult(shape, tokens, weights.Length, weightBytes, best, weightBytes / best, 2.0 * tokens * shape.Rows * shape.Columns / best);
    }

    /// <summary>
    /// Finite codes of both formats with every normal exponent in use (BF16 kept near 1; FP8 never NaN and never
    /// subnormal). Real FP8 checkpoints hold almost no subnormal codes (3 in 100,000 in the demo model: a block's scale
    /// puts its largest weight near 448), while one uniformly random byte in 16 is one; some cores (the development
    /// machine's AMD Zen 5) take a slow path for a multiply with a subnormal operand, so such codes would time a case the
    /// model never meets.
    /// </summary>
    private static void Fill(Span<byte> bytes, WeightFormat format, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte value = (byte)random.NextUInt64();
            if (format == WeightFormat.BF16)
            {
                bytes[i] = (i & 1) == 1 ? (byte)((value & 0x80) | 0x3C | (value & 0x3)) : value;
            }
            else
            {
                value = (value & 0x78) == 0 ? (byte)(value | 0x08) : value; // exponent 0 → 1
                bytes[i] = (value & 0x7F) == 0x7F ? (byte)0x7E : value;
            }
        }
    }
}

/// <summary>A product shape: rows × columns weights of a format (FP8 with 128 × 128 block scales, or BF16).</summary>
public sealed record ProductShape(WeightFormat Format, int Rows, int Columns)
{
    public string Name => $"{(Format == WeightFormat.BF16 ? "bf16" : "fp8")}:{Rows}x{Columns}";

    /// <summary>Bytes of one weight of the shape (FP8's scales aside).</summary>
    public long StoredBytes => (long)Rows * Columns * (Format == WeightFormat.BF16 ? 2 : 1);

    /// <summary>Parses <c>fp8:ROWSxCOLUMNS</c> or <c>bf16:ROWSxCOLUMNS</c>; null when the text is not one.</summary>
    public static ProductShape? Parse(string text)
    {
        var parts = text.Split(':');
        var sides = parts.Length == 2 ? parts[1].Split('x') : [];
        if (sides.Length != 2 || !int.TryParse(sides[0], out int rows) || !int.TryParse(sides[1], out int columns) || rows < 1 ||
            columns < 1 || (long)rows * columns > int.MaxValue / 2)
        {
            return null;
        }

        return parts[0] switch
        {
            "fp8" => new ProductShape(WeightFormat.F8E4M3Blocked, rows, columns),
            "bf16" => new ProductShape(WeightFormat.BF16, rows, columns),
            _ => null,
        };
    }
}

/// <summary>
/// One shape's figure: seconds per product (each of <c>Copies</c> weights in turn), weight bytes read per second, and
/// floating-point operations per second (2 per multiply-add).
/// </summary>
public sealed record ShapeResult(ProductShape Shape, int Tokens, int Copies, long WeightBytes, double SecondsPerProduct, double BytesPerSecond,
    double FlopsPerSecond);
