using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// The kernels alone, without the rest of a model step. Decode: one token through an 8192 × 8192 weight (64 MiB FP8, 128 MiB BF16: far beyond any
/// last-level cache, so every byte comes from memory), best of several runs. Its GB/s against the machine's read
/// bandwidth separates the kernel's own speed from what the rest of a decode step costs. Prefill: a batch of tokens
/// through a 2048 × 2048 weight, against the FMA peak. Both are shapes of <see cref="ShapeBenchmark"/>.
/// </summary>
public static class KernelBenchmark
{
    private const int Size = 8192;

    public static KernelResult MatrixVector(CpuBackend backend, WeightFormat format) =>
        Figure(ShapeBenchmark.Measure(backend, new ProductShape(format, Size, Size), tokens: 1, copies: 1));

    /// <summary>
    /// The prefill kernel alone: <paramref name="tokens"/> tokens through a 2048 × 2048 weight, best of several runs,
    /// in floating-point operations per second (2 per multiply-add), to hold against the FMA peak.
    /// </summary>
    public static KernelResult MatrixMatrix(CpuBackend backend, WeightFormat format, int tokens) =>
        Figure(ShapeBenchmark.Measure(backend, new ProductShape(format, 2048, 2048), tokens, copies: 1));

    private static KernelResult Figure(ShapeResult result) =>
        new(result.Shape.Format == WeightFormat.BF16 ? "BF16" : "FP8", result.Shape.Rows, result.Shape.Columns, result.WeightBytes,
            result.BytesPerSecond, result.Tokens, result.FlopsPerSecond);
}

/// <summary>
/// One kernel figure: <c>Tokens</c> tokens through a rows × columns weight of <c>Format</c>, in bytes of weights read
/// per second (the decode kernel's limit is memory) and floating-point operations per second (the prefill kernel's is
/// the FMA units).
/// </summary>
public sealed record KernelResult(string Format, int Rows, int Columns, long WeightBytes, double BytesPerSecond, int Tokens,
    double FlopsPerSecond);
