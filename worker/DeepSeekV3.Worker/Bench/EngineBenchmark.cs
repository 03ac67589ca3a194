using System.Diagnostics;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// Times the model engine directly (no server): prefill of one prompt, and greedy decode steps of a batch after a
/// short context, each the best of a few runs after a warm-up. Prompts are fixed pseudo-random token ids.
/// Steady state is what a server runs at: the runtime compiles a method fully only after it has run for a while
/// (tiered compilation), so warm-ups last long enough for that (<see cref="WarmupSeconds"/>), not a fixed count.
/// </summary>
public static class EngineBenchmark
{
    private const int Runs = 3;

    /// <summary>Decode windows per measurement: five, so the median of the windows' paired fractions is a median of more than three.</summary>
    private const int DecodeWindows = 5;
    private const int WarmupSteps = 2;
    private const double WarmupSeconds = 1.5;

    /// <summary>
    /// Prefill tokens/s of a <paramref name="tokens"/>-token prompt; <paramref name="profile"/>, when given, is cleared as
    /// the counted runs begin, so it holds the pool's runs of those only.
    /// </summary>
    public static PrefillResult Prefill(Transformer model, int tokens, PoolProfile? profile = null)
    {
        var prompt = Prompt(model.Config, tokens, seed: 1);
        var cache = model.CreateKvCache(tokens);
        var table = new KvBlockTable();
        new KvBlockAllocator(cache).EnsureCapacity(table, tokens);
        var state = new RunState(model.Config, tokens);
        var logits = new float[model.Config.VocabSize];
        var batch = new ForwardBatch(cache);
        double best = double.MaxValue;
        bool profileStarted = false;
        long warmupStart = Stopwatch.GetTimestamp();
        for (int run = 0; run < Runs || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < WarmupSeconds; run++)
        {
            batch.Clear();
            batch.AddSequence(table, prompt, 0, wantLogits: true);
            if (!profileStarted && (Stopwatch.GetElapsedTime(warmupStart).TotalSeconds >= WarmupSeconds || run >= Runs - 1))
            {
                profile?.Clear(); // the profile holds the runs that start after the warm-up
                profileStarted = true;
            }

            long start = Stopwatch.GetTimestamp();
            model.Forward(batch, state, logits);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (Stopwatch.GetElapsedTime(warmupStart).TotalSeconds >= WarmupSeconds || run >= Runs - 1)
            {
                best = Math.Min(best, seconds);
            }
        }

        double multiplyAdds = Enumerable.Range(0, tokens).Sum(p => (double)model.MultiplyAddsPerToken(p, withHead: p == tokens - 1));
        return new PrefillResult(tokens, tokens / best, 2 * multiplyAdds / best);
    }

    /// <summary>
    /// Decode tokens/s of a batch of <paramref name="batchSize"/> sequences after <paramref name="contextTokens"/>, the best
    /// of <see cref="DecodeWindows"/> windows of <paramref name="steps"/> steps; a given <paramref name="profile"/> is
    /// cleared before the counted steps. With <paramref name="bandwidth"/>, the memory is probed just before and just
    /// after every window (outside its time and its allocation count) and each window set against those probes
    /// (<see cref="PairedBandwidth"/>).
    /// </summary>
    public static DecodeResult Decode(Transformer model, int batchSize, int contextTokens, int steps, PoolProfile? profile = null,
        BandwidthProbe? bandwidth = null)
    {
        var config = model.Config;
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
        NextTokens(logits, next, config.VocabSize);

        // Warm-up: the first positions after the context, over and over (each step rewrites the same cache rows).
        long warmupStart = Stopwatch.GetTimestamp();
        for (int step = 0; step < WarmupSteps || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < WarmupSeconds; step++)
        {
            Step(model, batch, tables, next, contextTokens + (step % WarmupSteps), state, logits);
        }

        // Best of a few windows of `steps` steps from the end of the context, as the prefill figures are a best.
        int tokens = batchSize * steps;
        double weightBytesPerToken = model.WeightBytesPerStep(batchSize) / (double)batchSize;
        double seconds = double.MaxValue;
        long allocated = long.MaxValue;
        var windows = new List<BandwidthWindow>(DecodeWindows);
        profile?.Clear();
        for (int run = 0; run < DecodeWindows; run++)
        {
            var before = bandwidth?.Sample() ?? default;
            SettlePools(bandwidth);
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            for (int step = 0; step < steps; step++)
            {
                Step(model, batch, tables, next, contextTokens + step, state, logits);
            }

            double windowSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
            seconds = Math.Min(seconds, windowSeconds);
            if (bandwidth is not null)
            {
                SettlePools(bandwidth);
                windows.Add(new BandwidthWindow(weightBytesPerToken * tokens / windowSeconds, before, bandwidth.Sample()));
            }
        }

        return new DecodeResult(batchSize, tokens / seconds, weightBytesPerToken, allocated / (double)tokens,
            bandwidth is null ? null : PairedBandwidth.FromWindows(windows));
    }

    /// <summary>
    /// A pause between a probe and a window: each has its own worker pool, whose workers spin a while after a run
    /// (<see cref="WorkerPool.SpinMicroseconds"/>) before they sleep, and spinning workers would take the cores the next
    /// run needs.
    /// </summary>
    private static void SettlePools(BandwidthProbe? bandwidth)
    {
        if (bandwidth is not null)
        {
            Thread.Sleep(1);
        }
    }

    private static void Step(Transformer model, ForwardBatch batch, KvBlockTable[] tables, int[] next, int position,
        RunState state, float[] logits)
    {
        batch.Clear();
        for (int s = 0; s < tables.Length; s++)
        {
            batch.AddSequence(tables[s], next.AsSpan(s, 1), position, wantLogits: true);
        }

        model.Forward(batch, state, logits);
        NextTokens(logits, next, model.Config.VocabSize);
    }

    private static void NextTokens(float[] logits, int[] next, int vocab)
    {
        for (int s = 0; s < next.Length; s++)
        {
            next[s] = GreedyGenerator.Argmax(logits.AsSpan(s * vocab, vocab));
        }
    }

    private static int[] Prompt(ModelConfig config, int tokens, int seed)
    {
        var random = new DeterministicRandom((ulong)seed);
        return [.. Enumerable.Range(0, tokens).Select(_ => (int)(random.NextUInt64() % (ulong)config.VocabSize))];
    }
}
