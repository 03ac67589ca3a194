namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Which routed experts this rank loads and runs, per MoE layer. Under expert parallelism each rank of a group holds
/// a share (plus redundant copies of hot experts, which may differ per layer); everything else in the model is
/// replicated on every rank.
/// </summary>
public sealed class WeightMap
{
    private readonly Func<int, int, bool>? _owns; // (layer, expert)

    private WeightMap(Func<int, int, bool>? owns)
    {
        _owns = owns;
    }

    /// <summary>One process holds the whole model.</summary>
    public static WeightMap All { get; } = new(null);

    /// <summary>The same experts in every layer.</summary>
    public static WeightMap Experts(IEnumerable<int> ownedExperts)
    {
        var owned = ownedExperts.ToHashSet();
        return new((_, expert) => owned.Contains(expert));
    }

    /// <summary>Per layer: <paramref name="owns"/>(layer, expert).</summary>
    public static WeightMap PerLayer(Func<int, int, bool> owns) => new(owns);

    public bool OwnsExpert(int layer, int expert) => _owns?.Invoke(layer, expert) ?? true;

    /// <summary>Whether the expert is held in every MoE layer's view of a layer-independent map (layer 0's answer).</summary>
    public bool OwnsExpert(int expert) => OwnsExpert(0, expert);
}
