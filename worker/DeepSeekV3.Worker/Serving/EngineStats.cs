namespace DeepSeekV3.Worker.Serving;

/// <summary>A snapshot of an engine's load, for health, load reports and routing.</summary>
public sealed record EngineStats(int Running, int Waiting, int FreeBlocks, int TotalBlocks, int BlockSizeTokens, long Preemptions)
{
    /// <summary>Chained hashes of the prefix blocks in the context cache (see <see cref="PrefixHash"/>), for prefix-aware routing.</summary>
    public IReadOnlyList<ulong> CachedPrefixHashes { get; init; } = [];
}
