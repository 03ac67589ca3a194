using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Routing;

/// <summary>
/// The router's choices as pure functions of worker snapshots. A pair is a prefill worker and a decode worker of
/// compatible revisions (equal, or either unlabelled), so during a rollout a KV cache never crosses model builds; a
/// prefill worker without a compatible decode worker is never chosen. Prefill, by policy: CacheAware takes the worker
/// holding the longest cached prefix of the prompt (fewest tokens to compute), then the least loaded, then the first
/// listed; LeastLoaded takes the least loaded; RoundRobin takes each in turn. Decode: the least loaded compatible
/// worker, then the one with the most free KV blocks. Unhealthy workers and workers already tried for this request
/// are skipped.
/// </summary>
public static class RouterPolicy
{
    /// <summary>A prefill and a decode worker for one request, or null when no compatible healthy pair is left.</summary>
    public static (WorkerSnapshot Prefill, WorkerSnapshot Decode)? ChoosePair(IReadOnlyList<WorkerSnapshot> prefillWorkers,
        IReadOnlyList<WorkerSnapshot> decodeWorkers, ReadOnlySpan<int> prompt, IReadOnlySet<string> excluded, RoutingPolicy policy, long turn)
    {
        var decodeCandidates = decodeWorkers.Where(w => Usable(w, excluded)).ToList();
        var prefillCandidates = prefillWorkers.Where(p => decodeCandidates.Any(d => Compatible(p.Revision, d.Revision))).ToList();
        var prefill = ChoosePrefill(prefillCandidates, prompt, excluded, policy, turn);
        if (prefill is null)
        {
            return null;
        }

        var decode = ChooseDecode(decodeCandidates, excluded, prefill.Revision);
        return decode is null ? null : (prefill, decode);
    }

    public static WorkerSnapshot? ChoosePrefill(IReadOnlyList<WorkerSnapshot> workers, ReadOnlySpan<int> prompt, IReadOnlySet<string> excluded,
        RoutingPolicy policy = RoutingPolicy.CacheAware, long turn = 0)
    {
        if (policy == RoutingPolicy.RoundRobin)
        {
            var usable = workers.Where(w => Usable(w, excluded)).ToList();
            return usable.Count == 0 ? null : usable[(int)(turn % usable.Count)];
        }

        WorkerSnapshot? best = null;
        int bestCached = -1;
        foreach (var worker in workers)
        {
            if (!Usable(worker, excluded))
            {
                continue;
            }

            int cached = policy == RoutingPolicy.CacheAware ? CachedPrefixTokens(worker, prompt) : 0;
            if (best is null || cached > bestCached || (cached == bestCached && worker.Load < best.Load))
            {
                best = worker;
                bestCached = cached;
            }
        }

        return best;
    }

    public static WorkerSnapshot? ChooseDecode(IReadOnlyList<WorkerSnapshot> workers, IReadOnlySet<string> excluded, string revision = "") =>
        workers.Where(w => Usable(w, excluded) && Compatible(revision, w.Revision))
            .OrderBy(w => w.Load)
            .ThenByDescending(w => w.FreeBlocks)
            .FirstOrDefault();

    /// <summary>Equal revisions, or a worker started without one (a local cluster, a test) that pairs with anything.</summary>
    public static bool Compatible(string a, string b) => a.Length == 0 || b.Length == 0 || string.Equals(a, b, StringComparison.Ordinal);

    private static bool Usable(WorkerSnapshot worker, IReadOnlySet<string> excluded) => worker.Healthy && !excluded.Contains(worker.Address);

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
