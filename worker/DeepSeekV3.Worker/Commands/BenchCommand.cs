using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Worker.Bench;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench</c>: the machine's limits (STREAM triad bandwidth, FMA peak) and, in the same run, the CPU engine's
/// prefill and decode throughput on checkpoints (by default the generated <c>small</c> preset in BF16 and FP8), each
/// figure compared with the limit that bounds it. <c>--json</c> prints the same figures as one JSON object.
/// </summary>
public static class BenchCommand
{
    public const string Usage =
        "dsv3 bench [--model DIR ... | --preset tiny|small] [--prompt-tokens 128,1024] [--context-tokens N] [--decode-steps N] [--batch 1,4,16] [--threads N] [--weight-memory huge-pages|mapped] [--json | --pool-profile]";

    /// <summary>Tokens of the prefill kernel figure: a typical prefill chunk.</summary>
    private const int PrefillKernelTokens = 512;

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        if (arguments.Count > 0 && arguments[0] == "serve")
        {
            return ServeBenchCommand.Run([.. arguments.Skip(1)], output);
        }

        if (arguments.Count > 0 && arguments[0] == "experts")
        {
            return ExpertBenchCommand.Run([.. arguments.Skip(1)], output);
        }

        if (arguments.Count > 0 && arguments[0] == "grpc")
        {
            return GrpcBenchCommand.Run([.. arguments.Skip(1)], output);
        }

        if (arguments.Count > 0 && arguments[0] == "kernels")
        {
            return KernelBenchCommand.Run([.. arguments.Skip(1)], output);
        }

        if (arguments.Count > 0 && arguments[0] == "machine")
        {
            return MachineBenchCommand.Run([.. arguments.Skip(1)], output);
        }

        var args = new CommandLineArguments(arguments, new HashSet<string> { "json", "pool-profile" });
        var models = args.All("model").ToList();
        string preset = args.Optional("preset") ?? "small";
        var promptTokens = CommandLineArguments.ParseIds("prompt-tokens", args.Optional("prompt-tokens") ?? "128,1024");
        int contextTokens = args.Number("context-tokens", 32, 1, 1 << 20);
        int decodeSteps = args.Number("decode-steps", 16, 1, 1 << 20);
        int threads = args.Number("threads", Environment.ProcessorCount, 1, 1024);
        var batches = CommandLineArguments.ParseIds("batch", args.Optional("batch") ?? "1,4,16");
        bool json = args.Flag("json");
        bool poolProfile = args.Flag("pool-profile");
        var weightMemory = args.WeightMemory();
        args.RejectUnknown();
        if (json && poolProfile)
        {
            throw new UsageException("--pool-profile prints tables after the figures; it does not combine with --json");
        }

        if (batches.Any(b => b < 1) || promptTokens.Any(p => p < 1))
        {
            throw new UsageException("--batch sizes and --prompt-tokens must be at least 1");
        }

        var progress = json ? TextWriter.Null : output;
        if (models.Count == 0)
        {
            models.Add(MakeModelCommand.EnsureCached(preset, fp8: false, progress));
            models.Add(MakeModelCommand.EnsureCached(preset, fp8: true, progress));
        }

        // Held for the whole run: the models' decode windows are probed against the same arrays as the machine's limits.
        using var bandwidth = new BandwidthProbe(threads);
        var machine = MachineProbe.Measure(threads, bandwidth);
        KernelResult[] kernels;
        using (var backend = new CpuBackend(threads))
        {
            kernels = [KernelBenchmark.MatrixVector(backend, WeightFormat.F8E4M3Blocked), KernelBenchmark.MatrixVector(backend, WeightFormat.BF16)];
            kernels = [.. kernels, KernelBenchmark.MatrixMatrix(backend, WeightFormat.F8E4M3Blocked, PrefillKernelTokens),
                KernelBenchmark.MatrixMatrix(backend, WeightFormat.BF16, PrefillKernelTokens)];
        }

        var profiles = poolProfile ? new StringWriter() : null;
        var results = models.Select(directory => Measure(directory, weightMemory, threads, promptTokens, batches, contextTokens, decodeSteps,
            profiles, bandwidth)).ToArray();
        // The FMA peak once more after the measurements: every fraction of it is computed only now.
        var report = new BenchReport(MachineProbe.WithFmaPeakRetaken(machine), kernels, results);
        if (json)
        {
            report.WriteJson(output);
        }
        else
        {
            report.WriteText(output);
            output.Write(profiles?.ToString());
        }

        return 0;
    }

    /// <summary>
    /// The model's figures; with <paramref name="profiles"/>, also where the pool's time went in each measurement's counted
    /// runs (<see cref="PoolProfile"/>; the clock reads and labels it takes cost a little time and allocate, so figures
    /// of a profiled bench are a little lower and allocations not zero); decode windows are each set against the memory
    /// bandwidth <paramref name="bandwidth"/> measures just around them.
    /// </summary>
    private static ModelBenchmark Measure(string directory, WeightMemory weightMemory, int threads, int[] promptTokens, int[] batches, int contextTokens,
        int decodeSteps, TextWriter? profiles, BandwidthProbe bandwidth)
    {
        using var checkpoint = Checkpoint.Open(directory, weightMemory);
        using var backend = new CpuBackend(threads);
        var model = new Transformer(checkpoint, backend);
        var c = model.Config;
        if (promptTokens.Max() > c.MaxPositionEmbeddings || contextTokens + decodeSteps + 2 > c.MaxPositionEmbeddings)
        {
            throw new UsageException($"the bench needs more positions than {directory} has (max_position_embeddings {c.MaxPositionEmbeddings})");
        }

        CheckpointPreloader.Preload(checkpoint, [.. checkpoint.RequestedTensors], _ => { });
        var profile = profiles is null ? null : new PoolProfile();
        backend.PoolProfile = profile;
        var prefill = promptTokens.Select(tokens => Profiled(EngineBenchmark.Prefill(model, tokens, profile), profile, profiles,
            $"pool profile: {directory}, prefill {tokens} tokens")).ToArray();
        var decode = batches.Select(batch => Profiled(EngineBenchmark.Decode(model, batch, contextTokens, decodeSteps, profile, bandwidth), profile,
            profiles, $"pool profile: {directory}, decode batch {batch}")).ToArray();
        backend.PoolProfile = null;
        var placement = new WeightPlacement(checkpoint.WeightMemory == WeightMemory.HugePages ? "huge-pages" : "mapped",
            HugePageArena.ProcessHugePageBytes());
        return new ModelBenchmark(directory, c.Quantization is null ? "BF16" : "FP8 e4m3 (128x128 blocks)", c.NumHiddenLayers,
            c.HiddenSize, model.StoredBytes, placement, prefill, decode);
    }

    private static T Profiled<T>(T result, PoolProfile? profile, TextWriter? profiles, string title)
    {
        if (profile is not null && profiles is not null)
        {
            profiles.WriteLine(title);
            profile.WriteText(profiles);
        }

        return result;
    }
}
