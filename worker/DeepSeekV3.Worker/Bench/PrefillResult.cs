namespace DeepSeekV3.Worker.Bench;

/// <summary>One prompt of <paramref name="Tokens"/> tokens prefilled: speed and the arithmetic rate it implies.</summary>
public sealed record PrefillResult(int Tokens, double TokensPerSecond, double FlopsPerSecond);
