using System.Globalization;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench kernels --shape fp8:384x1024 [--shape ...] [--tokens 1,6,16] [--copies N] [--threads N]</c>: single
/// product shapes through the engine's linear path, each figure against the machine's limits measured in the same run
/// (GFLOP/s against the FMA peak, weight bytes per second against the read bandwidth). With <c>--copies</c> large
/// enough that their bytes pass the last-level cache, every product reads its weights from memory, as a model's do.
/// </summary>
public static class KernelBenchCommand
{
    // All copies of a shape are allocated at once.
    private const long MaxWeightBytes = 8L << 30;

    public const string Usage = "dsv3 bench kernels --shape fp8|bf16:ROWSxCOLUMNS [--shape ...] [--tokens 1,6,16] [--copies 1] [--threads N] [--huge-pages]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "huge-pages" });
        var shapeTexts = args.All("shape").ToList();
        var tokens = CommandLineArguments.ParseIds("tokens", args.Optional("tokens") ?? "1,6,16");
        int copies = args.Number("copies", 1, 1, 4096);
        int threads = args.Number("threads", Environment.ProcessorCount, 1, 1024);
        bool hugePages = args.Flag("huge-pages");
        args.RejectUnknown();
        if (shapeTexts.Count == 0)
        {
            throw new UsageException("give at least one --shape, e.g. --shape fp8:384x1024");
        }

        var shapes = shapeTexts.Select(text => ProductShape.Parse(text)
            ?? throw new UsageException($"--shape must be fp8:ROWSxCOLUMNS or bf16:ROWSxCOLUMNS with positive sides; got '{text}'")).ToList();
        if (tokens.Any(t => t < 1 || t > 65536))
        {
            throw new UsageException("--tokens must be between 1 and 65536");
        }

        foreach (var shape in shapes.Where(shape => (double)copies * shape.StoredBytes > MaxWeightBytes))
        {
            throw new UsageException($"{copies} copies of {shape.Name} would take {copies * (double)shape.StoredBytes / (1 << 30):F1} GiB; keep them within {MaxWeightBytes >> 30} GiB");
        }

        // x [tokens, columns] and y [tokens, rows] are float arrays.
        foreach (var shape in shapes.Where(shape => (long)tokens.Max() * Math.Max(shape.Rows, shape.Columns) > Array.MaxLength))
        {
            throw new UsageException($"{tokens.Max()} tokens of {shape.Name} are more values than one array holds; give fewer --tokens");
        }

        var machine = MachineProbe.Measure(threads);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"machine: {machine.Description}; read bandwidth {machine.ReadBytesPerSecond / 1e9:F1} GB/s; FMA peak {machine.FmaFlopsPerSecond / 1e9:F1} GFLOP/s"));
        using var backend = new CpuBackend(threads);
        foreach (var shape in shapes)
        {
            foreach (var result in ShapeBenchmark.Measure(backend, shape, tokens, copies, hugePages))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{shape.Name,-16} {result.Tokens,5} tokens, {copies} {(copies == 1 ? "copy" : "copies")} ({copies * result.WeightBytes / 1e6:F1} MB): {result.SecondsPerProduct * 1e6,9:F2} us/product {result.FlopsPerSecond / 1e9,7:F1} GFLOP/s = {result.FlopsPerSecond / machine.FmaFlopsPerSecond,6:P1} of FMA peak {result.BytesPerSecond / 1e9,7:F2} GB/s = {result.BytesPerSecond / machine.ReadBytesPerSecond,6:P1} of read bandwidth"));
            }
        }

        return 0;
    }
}
