namespace DeepSeekV3.Worker.Serving;

/// <summary>A snapshot of an engine's load, for health, load reports and routing.</summary>
public sealed record EngineStats(int Running, int Waiting, int FreeBlocks, int TotalBlocks, int BlockSizeTokens, long Preemptions);
