namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Which routed experts this rank loads and runs. Under expert parallelism each rank of a group owns a slice
/// (plus redundant copies of hot experts); everything else in the model is replicated on every rank.
/// </summary>
public sealed class WeightMap
{
    private readonly HashSet<int>? _ownedExperts;

    private WeightMap(HashSet<int>? ownedExperts)
    {
        _ownedExperts = ownedExperts;
    }

    /// <summary>One process holds the whole model.</summary>
    public static WeightMap All { get; } = new(null);

    public static WeightMap Experts(IEnumerable<int> ownedExperts) => new([.. ownedExperts]);

    public bool OwnsExpert(int expert) => _ownedExperts?.Contains(expert) ?? true;
}
