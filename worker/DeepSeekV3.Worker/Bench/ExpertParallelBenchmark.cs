using System.Diagnostics;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Worker.Experts;

namespace DeepSeekV3.Worker.Bench;

/// <summary>One group size's figures: decode speed and what the dispatch/combine exchanges cost.</summary>
public sealed record ExpertParallelResult(
    int Ranks, double DecodeMillisecondsPerToken, double ExchangeMicrosecondsPerLayer, double CommunicationShare, double BytesPerToken, long Exchanges);

/// <summary>
/// Batch-1 greedy decode on a group of R ranks on loopback (leader here, R - 1 expert ranks behind real gRPC): the
/// decode time per token, the dispatch + combine latency per MoE layer, the share of the decode step spent waiting for
/// it, and the bytes of hidden states moved per token. Decode figures are the difference of a run with
/// <c>steps + 1</c> new tokens and one with 1, so the prefill cancels out.
/// </summary>
public static class ExpertParallelBenchmark
{
    public static async Task<ExpertParallelResult> RunAsync(Checkpoint checkpoint, int ranks, int promptTokens, int steps, int? threads)
    {
        await using var group = await LoopbackExpertGroup.StartAsync(checkpoint, ranks, leaderThreads: threads).ConfigureAwait(false);
        var generator = new GreedyGenerator(group.Leader);
        int[] prompt = [.. Enumerable.Range(0, promptTokens).Select(i => (i * 7919) % checkpoint.Config.VocabSize)];
        generator.Generate([prompt], 2); // warm-up: JIT, connections

        var (time1, exchange1, count1, bytes1) = Measure(group, generator, prompt, 1);
        var (timeN, exchangeN, countN, bytesN) = Measure(group, generator, prompt, steps + 1);
        double decode = (timeN - time1).TotalMilliseconds / steps;
        double exchange = (exchangeN - exchange1).TotalMilliseconds / steps;
        long exchanges = countN - count1;
        return new ExpertParallelResult(
            ranks,
            decode,
            exchanges == 0 ? 0 : (exchangeN - exchange1).TotalMicroseconds / exchanges,
            decode == 0 ? 0 : exchange / decode,
            (double)(bytesN - bytes1) / steps,
            exchanges);
    }

    private static (TimeSpan Time, TimeSpan Exchange, long Exchanges, long Bytes) Measure(LoopbackExpertGroup group, GreedyGenerator generator, int[] prompt, int newTokens)
    {
        var before = (group.Peers?.ExchangeTime ?? TimeSpan.Zero, group.Peers?.Exchanges ?? 0, group.Peers?.BytesMoved ?? 0);
        var clock = Stopwatch.StartNew();
        generator.Generate([prompt], newTokens);
        var elapsed = clock.Elapsed;
        return (elapsed, (group.Peers?.ExchangeTime ?? TimeSpan.Zero) - before.Item1, (group.Peers?.Exchanges ?? 0) - before.Item2, (group.Peers?.BytesMoved ?? 0) - before.Item3);
    }
}
