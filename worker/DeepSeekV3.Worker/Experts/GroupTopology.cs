using System.Globalization;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// Where a process stands in its group (what the operator puts in a pod's environment): its rank, the group size and
/// the gRPC address of every rank in rank order. Routed experts are split in contiguous blocks: rank r owns experts
/// [r·E/R, (r+1)·E/R), as DeepSeek's expert parallelism lays them out; everything else is replicated.
/// </summary>
public sealed record GroupTopology(int Rank, int Size, IReadOnlyList<string> Peers, int RedundantExperts = 0)
{
    public static readonly GroupTopology Alone = new(0, 1, []);

    public bool IsLeader => Rank == 0;

    /// <summary>
    /// DSV3_RANK, DSV3_GROUP_SIZE, DSV3_PEERS and DSV3_REDUNDANT_EXPERTS; a single process when DSV3_GROUP_SIZE is
    /// unset or 1.
    /// </summary>
    public static GroupTopology FromEnvironment(Func<string, string?> read)
    {
        string? sizeText = read("DSV3_GROUP_SIZE");
        if (string.IsNullOrEmpty(sizeText) || sizeText == "1")
        {
            return Alone;
        }

        return Parse(read("DSV3_RANK") ?? "", sizeText, read("DSV3_PEERS") ?? "", read("DSV3_REDUNDANT_EXPERTS") ?? "0");
    }

    /// <summary>The group from flag or environment text, with a message naming what is wrong.</summary>
    public static GroupTopology Parse(string rankText, string sizeText, string peersText, string redundantText = "0")
    {
        if (!int.TryParse(redundantText, NumberStyles.None, CultureInfo.InvariantCulture, out int redundant))
        {
            throw new FormatException($"redundant experts must be a whole number, not '{redundantText}'");
        }

        if (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size < 1)
        {
            throw new FormatException($"group size must be a whole number of at least 1, not '{sizeText}'");
        }

        if (!int.TryParse(rankText, NumberStyles.None, CultureInfo.InvariantCulture, out int rank) || rank >= size)
        {
            throw new FormatException($"rank must be a whole number below the group size {size}, not '{rankText}'");
        }

        var peers = peersText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (size > 1 && peers.Length != size)
        {
            throw new FormatException($"peers must list the {size} ranks' gRPC addresses in rank order, comma-separated; got {peers.Length}");
        }

        return new GroupTopology(rank, size, peers, redundant);
    }

    /// <summary>The gRPC endpoint of a rank: its peer address, as http:// when given as host:port.</summary>
    public Uri PeerUri(int rank) =>
        new(Peers[rank].Contains("://", StringComparison.Ordinal) ? Peers[rank] : "http://" + Peers[rank]);

    /// <summary>
    /// The starting placement of every MoE layer (null for dense layers): the same on every rank, computed from the
    /// model's shape alone, so the ranks agree without talking. Contiguous blocks without redundant experts.
    /// </summary>
    public ExpertPlacement?[] InitialPlacements(ModelConfig config)
    {
        var placements = new ExpertPlacement?[config.NumHiddenLayers];
        for (int layer = 0; layer < placements.Length; layer++)
        {
            if (config.IsMoeLayer(layer))
            {
                try
                {
                    placements[layer] = ExpertPlacement.Uniform(config.NRoutedExperts, Size, RedundantExperts);
                }
                catch (ArgumentException e)
                {
                    throw new FormatException(e.Message, e);
                }
            }
        }

        return placements;
    }

    /// <summary>The experts this rank loads per layer under <paramref name="placements"/>.</summary>
    public WeightMap WeightMap(ExpertPlacement?[] placements) =>
        Size == 1 ? Inference.Model.WeightMap.All : Inference.Model.WeightMap.PerLayer((layer, expert) => placements[layer]?.Holds(Rank, expert) ?? false);

    /// <summary>The experts this rank loads with no redundancy: contiguous blocks (checks that they divide evenly).</summary>
    public WeightMap WeightMap(int experts)
    {
        if (experts % Size != 0)
        {
            throw new FormatException($"{experts} routed experts do not divide over a group of {Size} ranks");
        }

        return Size == 1 ? Inference.Model.WeightMap.All : Inference.Model.WeightMap.Experts(Enumerable.Range(Rank * (experts / Size), experts / Size));
    }
}
