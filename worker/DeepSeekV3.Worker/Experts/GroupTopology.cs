using System.Globalization;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Experts;

/// <summary>
/// Where a process stands in its group (what the operator puts in a pod's environment): its rank, the group size and
/// the gRPC address of every rank in rank order. Routed experts are split in contiguous blocks: rank r owns experts
/// [r·E/R, (r+1)·E/R), as DeepSeek's expert parallelism lays them out; everything else is replicated.
/// </summary>
public sealed record GroupTopology(int Rank, int Size, IReadOnlyList<string> Peers)
{
    public static readonly GroupTopology Alone = new(0, 1, []);

    public bool IsLeader => Rank == 0;

    /// <summary>DSV3_RANK, DSV3_GROUP_SIZE and DSV3_PEERS; a single process when DSV3_GROUP_SIZE is unset or 1.</summary>
    public static GroupTopology FromEnvironment(Func<string, string?> read)
    {
        string? sizeText = read("DSV3_GROUP_SIZE");
        if (string.IsNullOrEmpty(sizeText) || sizeText == "1")
        {
            return Alone;
        }

        return Parse(read("DSV3_RANK") ?? "", sizeText, read("DSV3_PEERS") ?? "");
    }

    /// <summary>The group from flag or environment text, with a message naming what is wrong.</summary>
    public static GroupTopology Parse(string rankText, string sizeText, string peersText)
    {
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

        return new GroupTopology(rank, size, peers);
    }

    /// <summary>The rank that holds <paramref name="expert"/> of <paramref name="experts"/> routed experts.</summary>
    public int OwnerOf(int expert, int experts) => expert / (experts / Size);

    /// <summary>The experts this rank loads (checks that they divide evenly).</summary>
    public WeightMap WeightMap(int experts)
    {
        if (experts % Size != 0)
        {
            throw new FormatException($"{experts} routed experts do not divide over a group of {Size} ranks");
        }

        return Size == 1 ? Inference.Model.WeightMap.All : Inference.Model.WeightMap.Experts(Enumerable.Range(Rank * (experts / Size), experts / Size));
    }
}
