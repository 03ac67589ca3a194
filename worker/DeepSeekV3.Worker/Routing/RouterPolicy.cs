using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Routing;

/// <summary>
/// The router's choices as pure functions of worker snapshots. Prefill: the healthy worker holding the longest cached
/// prefix of the prompt (fewest tokens to compute), then the least loaded, then the first listed. Decode: the least
/// loaded healthy worker, then the one with the most free KV blocks. Workers already tried for this request are skipped.
/// </summary>
public static class RouterPolicy
{
    public static WorkerSnapshot? ChoosePrefill(IReadOnlyList<WorkerSnapshot> workers, ReadOnlySpan<int> prompt, IReadOnlySet<string> excluded)
    {
        WorkerSnapshot? best = null;
        int bestCached = -1;
        foreach (var worker in workers)
        {
            if (!worker.Healthy || excluded.Contains(worker.Address))
            {
                continue;
            }

            int cached = CachedPrefixTokens(worker, prompt);
            if (best is null || cached > bestCached || (cached == bestCached && worker.Load < best.Load))
            {
                best = worker;
                bestCached = cached;
            }
        }

        return best;
    }

    public static WorkerSnapshot? ChooseDecode(IReadOnlyList<WorkerSnapshot> workers, IReadOnlySet<string> excluded) =>
        workers.Where(w => w.Healthy && !excluded.Contains(w.Address))
            .OrderBy(w => w.Load)
            .ThenByDescending(w => w.FreeBlocks)
            .FirstOrDefault();

    /// <summary>Tokens of the prompt's longest prefix whose blocks the worker reports as cached.</summary>
    public static int CachedPrefixTokens(WorkerSnapshot worker, ReadOnlySpan<int> prompt)
    {
        if (worker.BlockSizeTokens <= 0 || worker.CachedPrefixHashes.Count == 0)
        {
            return 0;
        }

        int blocks = 0;
        foreach (ulong hash in PrefixHash.Blocks(prompt, worker.BlockSizeTokens))
        {
            if (!worker.CachedPrefixHashes.Contains(hash))
            {
                break;
            }

            blocks++;
        }

        return blocks * worker.BlockSizeTokens;
    }
}
