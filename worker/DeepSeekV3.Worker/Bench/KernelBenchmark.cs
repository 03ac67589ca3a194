using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// The kernels alone, without the rest of a model step. Decode: one token through an 8192 × 8192 weight (64 MiB FP8, 128 MiB BF16: far beyond any
/// last-level cache, so every byte comes from memory), best of several runs. Its GB/s against the machine's read
/// bandwidth separates the kernel's own speed from what the rest of a decode step costs. Prefill: a batch of tokens
/// through a 2048 × 2048 weight, against the FMA peak.
/// </summary>
public static unsafe class KernelBenchmark
{
    private const int Size = 8192;
    private const int Runs = 7;

    public static KernelResult MatrixVector(CpuBackend backend, WeightFormat format)
    {
        int bytesPerWeight = format == WeightFormat.BF16 ? 2 : 1;
        long dataBytes = (long)Size * Size * bytesPerWeight;
        int scaleBlocks = Size / 128;
        byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)dataBytes, 64);
        float* scales = (float*)NativeMemory.AlignedAlloc((nuint)(scaleBlocks * scaleBlocks * sizeof(float)), 64);
        try
        {
            Fill(new Span<byte>(data, (int)Math.Min(dataBytes, int.MaxValue)), format);
            if (dataBytes > int.MaxValue)
            {
                Fill(new Span<byte>(data + int.MaxValue, (int)(dataBytes - int.MaxValue)), format);
            }

            new Span<float>(scales, scaleBlocks * scaleBlocks).Fill(1f / 256);
            var weight = new WeightMatrix(format, Size, Size, data, format == WeightFormat.BF16 ? null : scales);
            var x = new float[Size];
            var y = new float[Size];
            var random = new DeterministicRandom(7);
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)((random.NextUInt64() % 2000) / 1000.0) - 1f;
            }

            backend.Linear(x, 1, weight, 0, Size, y); // warm-up: page tables, JIT
            double best = double.MaxValue;
            for (int run = 0; run < Runs; run++)
            {
                long start = Stopwatch.GetTimestamp();
                backend.Linear(x, 1, weight, 0, Size, y);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            return new KernelResult(format == WeightFormat.BF16 ? "BF16" : "FP8", Size, Size, weight.StoredBytes, weight.StoredBytes / best,
                1, 2.0 * Size * Size / best);
        }
        finally
        {
            NativeMemory.AlignedFree(data);
            NativeMemory.AlignedFree(scales);
        }
    }

    /// <summary>
    /// The prefill kernel alone: <paramref name="tokens"/> tokens through a 2048 × 2048 weight, best of several runs,
    /// in floating-point operations per second (2 per multiply-add), to hold against the FMA peak.
    /// </summary>
    public static KernelResult MatrixMatrix(CpuBackend backend, WeightFormat format, int tokens)
    {
        const int Side = 2048;
        int bytesPerWeight = format == WeightFormat.BF16 ? 2 : 1;
        byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)(Side * Side * bytesPerWeight), 64);
        float* scales = (float*)NativeMemory.AlignedAlloc((nuint)(16 * 16 * sizeof(float)), 64);
        try
        {
            Fill(new Span<byte>(data, Side * Side * bytesPerWeight), format);
            new Span<float>(scales, 16 * 16).Fill(1f / 256);
            var weight = new WeightMatrix(format, Side, Side, data, format == WeightFormat.BF16 ? null : scales);
            var x = new float[tokens * Side];
            var y = new float[tokens * Side];
            x.AsSpan().Fill(0.5f);
            backend.Linear(x, tokens, weight, 0, Side, y);
            double best = double.MaxValue;
            for (int run = 0; run < Runs; run++)
            {
                long start = Stopwatch.GetTimestamp();
                backend.Linear(x, tokens, weight, 0, Side, y);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            return new KernelResult(format == WeightFormat.BF16 ? "BF16" : "FP8", Side, Side, weight.StoredBytes, weight.StoredBytes / best,
                tokens, 2.0 * tokens * Side * Side / best);
        }
        finally
        {
            NativeMemory.AlignedFree(data);
            NativeMemory.AlignedFree(scales);
        }
    }

    /// <summary>Finite codes of both formats with every exponent in use (BF16 kept near 1, FP8 never NaN).</summary>
    internal static void Fill(Span<byte> bytes, WeightFormat format, ulong seed = 11)
    {
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte value = (byte)random.NextUInt64();
            bytes[i] = format == WeightFormat.BF16 && (i & 1) == 1 ? (byte)((value & 0x80) | 0x3C | (value & 0x3)) : (value & 0x7F) == 0x7F ? (byte)0x7E : value;
        }
    }
}

/// <summary>
/// One kernel figure: <c>Tokens</c> tokens through a rows × columns weight of <c>Format</c>, in bytes of weights read
/// per second (the decode kernel's limit is memory) and floating-point operations per second (the prefill kernel's is
/// the FMA units).
/// </summary>
public sealed record KernelResult(string Format, int Rows, int Columns, long WeightBytes, double BytesPerSecond, int Tokens,
    double FlopsPerSecond);
