namespace DeepSeekV3.Worker.Routing;

/// <summary>What the router last learned about one worker (from its Control.Load report).</summary>
public sealed record WorkerSnapshot(string Address, bool Healthy, int Running, int Waiting, int FreeBlocks, int BlockSizeTokens,
    IReadOnlySet<ulong> CachedPrefixHashes, string Revision = "")
{
    public int Load => Running + Waiting;
}
