namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Which rank holds which routed experts of one MoE layer, with redundant copies: E experts + D redundant slots spread
/// over R ranks, (E + D) / R slots each. Built to even out the ranks' load:
/// <list type="number">
/// <item>replicate: every expert gets one slot, then each redundant slot goes to the expert with the highest load per
/// copy (so hot experts are split over several ranks);</item>
/// <item>pack: copies, heaviest first, go to the least-loaded rank with a free slot that does not hold that expert yet.</item>
/// </list>
/// The same idea as DeepSeek's published expert-parallel load balancer, written for this project.
/// </summary>
public sealed class ExpertPlacement
{
    private readonly int[][] _ranksOf;   // expert → ranks holding a copy, ascending
    private readonly int[][] _expertsOf; // rank → experts held, ascending

    private ExpertPlacement(int[][] ranksOf, int[][] expertsOf)
    {
        _ranksOf = ranksOf;
        _expertsOf = expertsOf;
    }

    public int Experts => _ranksOf.Length;

    public int Ranks => _expertsOf.Length;

    public IReadOnlyList<int> RanksOf(int expert) => _ranksOf[expert];

    public IReadOnlyList<int> ExpertsOf(int rank) => _expertsOf[rank];

    public bool Holds(int rank, int expert) => Array.BinarySearch(_ranksOf[expert], rank) >= 0;

    /// <summary>
    /// The rank a token's slot goes to: this rank when it holds a copy, else one of the copies chosen by the token so
    /// that a hot expert's tokens spread over its copies.
    /// </summary>
    public int RouteTo(int expert, int token, int fromRank)
    {
        var ranks = _ranksOf[expert];
        return Array.BinarySearch(ranks, fromRank) >= 0 ? fromRank : ranks[token % ranks.Length];
    }

    /// <summary>
    /// The other rank a slot goes to when <paramref name="fromRank"/> does not compute it: one of the copies elsewhere,
    /// chosen by the token so a hot expert's tokens spread over its copies.
    /// </summary>
    public int RemoteRank(int expert, int token, int fromRank)
    {
        var ranks = _ranksOf[expert];
        int others = ranks.Length - (Array.BinarySearch(ranks, fromRank) >= 0 ? 1 : 0);
        if (others == 0)
        {
            throw new InvalidOperationException($"expert {expert} has no copy outside rank {fromRank}");
        }

        int pick = token % others;
        foreach (int rank in ranks)
        {
            if (rank != fromRank && pick-- == 0)
            {
                return rank;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>The placement in which rank r holds <paramref name="expertsOfRank"/>[r] (as sent between ranks).</summary>
    public static ExpertPlacement FromRanks(int experts, IReadOnlyList<IReadOnlyList<int>> expertsOfRank)
    {
        var ranksOf = Enumerable.Range(0, experts)
            .Select(e => Enumerable.Range(0, expertsOfRank.Count).Where(r => expertsOfRank[r].Contains(e)).ToArray()).ToArray();
        if (ranksOf.FirstOrDefault(r => r.Length == 0) is not null)
        {
            throw new ArgumentException($"expert {Array.FindIndex(ranksOf, r => r.Length == 0)} is held by no rank", nameof(expertsOfRank));
        }

        return new ExpertPlacement(ranksOf, [.. expertsOfRank.Select(list => list.Order().Distinct().ToArray())]);
    }

    /// <summary>The balanced placement for an expected load per expert (tokens routed to it over some window).</summary>
    public static ExpertPlacement Balanced(int experts, int ranks, int redundant, ReadOnlySpan<double> load)
    {
        if (experts < 1 || ranks < 1 || redundant < 0)
        {
            throw new ArgumentException($"needs at least one expert and one rank, and no negative redundancy ({experts}, {ranks}, {redundant})");
        }

        if ((experts + redundant) % ranks != 0)
        {
            throw new ArgumentException($"{experts} experts + {redundant} redundant slots do not divide over {ranks} ranks");
        }

        if (redundant > experts * (ranks - 1))
        {
            throw new ArgumentException($"{redundant} redundant slots are more than {ranks - 1} extra copies of each of {experts} experts");
        }

        if (load.Length != experts)
        {
            throw new ArgumentException($"load has {load.Length} entries for {experts} experts");
        }

        // 1. Replicate: each extra copy to the expert whose load per copy is highest (ties: lower id).
        var copies = new int[experts];
        Array.Fill(copies, 1);
        var byLoadPerCopy = new PriorityQueue<int, (double NegativeLoad, int Expert)>();
        for (int e = 0; e < experts; e++)
        {
            byLoadPerCopy.Enqueue(e, (-Math.Max(0, load[e]), e));
        }

        for (int slot = 0; slot < redundant; slot++)
        {
            int e = byLoadPerCopy.Dequeue();
            copies[e]++;
            if (copies[e] < ranks)
            {
                byLoadPerCopy.Enqueue(e, (-Math.Max(0, load[e]) / copies[e], e));
            }
        }

        // 2. Pack copies, heaviest first, onto the least-loaded rank with room that lacks the expert.
        int capacity = (experts + redundant) / ranks;
        var items = new List<(int Expert, double Load)>();
        for (int e = 0; e < experts; e++)
        {
            for (int c = 0; c < copies[e]; c++)
            {
                items.Add((e, Math.Max(0, load[e]) / copies[e]));
            }
        }

        items.Sort((a, b) => b.Load != a.Load ? b.Load.CompareTo(a.Load) : a.Expert.CompareTo(b.Expert));
        var rankLoad = new double[ranks];
        var held = Enumerable.Range(0, ranks).Select(_ => new SortedSet<int>()).ToArray();
        foreach (var (expert, itemLoad) in items)
        {
            int best = -1;
            for (int r = 0; r < ranks; r++)
            {
                if (held[r].Count < capacity && !held[r].Contains(expert) && (best < 0 || rankLoad[r] < rankLoad[best]))
                {
                    best = r;
                }
            }

            if (best < 0)
            {
                throw new InvalidOperationException($"no rank has room for a copy of expert {expert}");
            }

            held[best].Add(expert);
            rankLoad[best] += itemLoad;
        }

        var ranksOf = Enumerable.Range(0, experts).Select(e => Enumerable.Range(0, ranks).Where(r => held[r].Contains(e)).ToArray()).ToArray();
        return new ExpertPlacement(ranksOf, [.. held.Select(h => h.ToArray())]);
    }

    /// <summary>
    /// With no load known yet: without redundancy, contiguous blocks (rank r holds [r·E/R, (r+1)·E/R), DeepSeek's
    /// layout); with it, every expert weighs the same and the copies go to the lowest ids.
    /// </summary>
    public static ExpertPlacement Uniform(int experts, int ranks, int redundant)
    {
        if (redundant == 0 && experts % ranks == 0)
        {
            int block = experts / ranks;
            return new ExpertPlacement(
                [.. Enumerable.Range(0, experts).Select(e => new[] { e / block })],
                [.. Enumerable.Range(0, ranks).Select(r => Enumerable.Range(r * block, block).ToArray())]);
        }

        var load = new double[experts];
        Array.Fill(load, 1.0);
        return Balanced(experts, ranks, redundant, load);
    }

    /// <summary>The busiest rank's load over the mean rank load for <paramref name="load"/> (1 = perfectly even).</summary>
    public double Imbalance(ReadOnlySpan<double> load)
    {
        var rankLoad = new double[Ranks];
        for (int e = 0; e < Experts; e++)
        {
            foreach (int r in _ranksOf[e])
            {
                rankLoad[r] += load[e] / _ranksOf[e].Length;
            }
        }

        double mean = rankLoad.Average();
        return mean == 0 ? 1 : rankLoad.Max() / mean;
    }
}
