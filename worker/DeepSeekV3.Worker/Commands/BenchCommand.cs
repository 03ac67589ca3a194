using System.Diagnostics;
using System.Globalization;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 bench</c>: prefill and decode throughput of the CPU engine on a checkpoint (by default the generated
/// <c>small</c> preset), with the weight bytes each decoded token must stream, the bandwidth that implies, and the
/// bytes allocated per token at steady state.
/// </summary>
public static class BenchCommand
{
    public const string Usage =
        "dsv3 bench [--model DIR | --preset tiny|small] [--fp8] [--prompt-tokens N] [--context-tokens N] [--decode-steps N] [--batch 1,8] [--threads N]";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "fp8" });
        string? modelDirectory = args.Optional("model");
        string preset = args.Optional("preset") ?? "small";
        bool fp8 = args.Flag("fp8");
        int promptTokens = args.Number("prompt-tokens", 128, 1, 1 << 20);
        int contextTokens = args.Number("context-tokens", 32, 1, 1 << 20);
        int decodeSteps = args.Number("decode-steps", 16, 1, 1 << 20);
        int threads = args.Number("threads", Environment.ProcessorCount, 1, 1024);
        var batches = CommandLineArguments.ParseIds("batch", args.Optional("batch") ?? "1,8");
        args.RejectUnknown();
        if (batches.Any(b => b < 1))
        {
            throw new UsageException("--batch sizes must be at least 1");
        }

        modelDirectory ??= MakeModelCommand.EnsureCached(preset, fp8, output);
        using var checkpoint = Checkpoint.Open(modelDirectory);
        using var backend = new CpuBackend(threads);
        var model = new Transformer(checkpoint, backend);
        var c = model.Config;
        if (promptTokens > c.MaxPositionEmbeddings || contextTokens + decodeSteps + 2 > c.MaxPositionEmbeddings)
        {
            throw new UsageException($"the bench needs more positions than max_position_embeddings ({c.MaxPositionEmbeddings})");
        }

        output.WriteLine(Format($"model {modelDirectory}: {c.NumHiddenLayers} layers, hidden {c.HiddenSize}, {c.NRoutedExperts} experts (top {c.NumExpertsPerTok}), {(c.Quantization is null ? "BF16" : "FP8")}, weights {model.StoredBytes / 1e6:F1} MB; {threads} threads"));
        output.WriteLine(Format($"weights read per decoded token at batch 1: {model.WeightBytesPerStep(1) / 1e6:F2} MB"));

        var prefill = MeasurePrefill(model, promptTokens);
        output.WriteLine(Format($"prefill {promptTokens} tokens: {promptTokens / prefill.TotalSeconds,10:F1} tokens/s  ({prefill.TotalMilliseconds:F1} ms)"));

        foreach (int batch in batches)
        {
            var (elapsed, allocatedBytes) = MeasureDecode(model, batch, contextTokens, decodeSteps);
            double tokensPerSecond = batch * decodeSteps / elapsed.TotalSeconds;
            double bytesPerToken = model.WeightBytesPerStep(batch) / (double)batch;
            output.WriteLine(Format(
                $"decode batch {batch,3}: {tokensPerSecond,10:F1} tokens/s  ({elapsed.TotalMilliseconds / decodeSteps:F2} ms/step)  weights ≤ {bytesPerToken / 1e6:F2} MB/token → {bytesPerToken * tokensPerSecond / 1e9:F2} GB/s  allocated {allocatedBytes / (double)(batch * decodeSteps):F0} B/token"));
        }

        return 0;
    }

    private static TimeSpan MeasurePrefill(Transformer model, int tokens)
    {
        var prompt = Prompt(model.Config, tokens, seed: 1);
        var cache = model.CreateKvCache(tokens);
        var state = new RunState(model.Config, tokens);
        var logits = new float[model.Config.VocabSize];
        var batch = new ForwardBatch(cache);
        var table = new KvBlockTable();
        new KvBlockAllocator(cache).EnsureCapacity(table, tokens);
        TimeSpan best = TimeSpan.MaxValue;
        for (int run = 0; run < 3; run++)
        {
            batch.Clear();
            batch.AddSequence(table, prompt, 0, wantLogits: true);
            long start = Stopwatch.GetTimestamp();
            model.Forward(batch, state, logits);
            var elapsed = Stopwatch.GetElapsedTime(start);
            best = elapsed < best ? elapsed : best;
        }

        return best;
    }

    private static (TimeSpan Elapsed, long AllocatedBytes) MeasureDecode(Transformer model, int batchSize, int contextTokens,
        int steps)
    {
        var config = model.Config;
        const int WarmupSteps = 2;
        var cache = model.CreateKvCache(batchSize * (contextTokens + steps + WarmupSteps + 16));
        var allocator = new KvBlockAllocator(cache);
        var tables = Enumerable.Range(0, batchSize).Select(_ => new KvBlockTable()).ToArray();
        foreach (var table in tables)
        {
            allocator.EnsureCapacity(table, contextTokens + steps + WarmupSteps);
        }

        var state = new RunState(config, batchSize * contextTokens);
        var logits = new float[batchSize * config.VocabSize];
        var batch = new ForwardBatch(cache);
        for (int s = 0; s < batchSize; s++)
        {
            batch.AddSequence(tables[s], Prompt(config, contextTokens, seed: s + 2), 0, wantLogits: true);
        }

        model.Forward(batch, state, logits);
        var next = new int[batchSize];
        for (int s = 0; s < batchSize; s++)
        {
            next[s] = GreedyGenerator.Argmax(logits.AsSpan(s * config.VocabSize, config.VocabSize));
        }

        long start = 0, allocatedBefore = 0;
        for (int step = 0; step < WarmupSteps + steps; step++)
        {
            if (step == WarmupSteps)
            {
                allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                start = Stopwatch.GetTimestamp();
            }

            batch.Clear();
            for (int s = 0; s < batchSize; s++)
            {
                batch.AddSequence(tables[s], next.AsSpan(s, 1), contextTokens + step, wantLogits: true);
            }

            model.Forward(batch, state, logits);
            for (int s = 0; s < batchSize; s++)
            {
                next[s] = GreedyGenerator.Argmax(logits.AsSpan(s * config.VocabSize, config.VocabSize));
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        return (elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
    }

    private static int[] Prompt(ModelConfig config, int tokens, int seed)
    {
        var random = new DeterministicRandom((ulong)seed);
        return [.. Enumerable.Range(0, tokens).Select(_ => (int)(random.NextUInt64() % (ulong)config.VocabSize))];
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
