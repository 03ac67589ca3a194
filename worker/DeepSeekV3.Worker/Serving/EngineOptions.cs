namespace DeepSeekV3.Worker.Serving;

/// <summary>Capacity settings of one engine.</summary>
public sealed record EngineOptions
{
    /// <summary>Tokens of KV cache (all layers); rounded up to whole blocks.</summary>
    public int KvCacheTokens { get; init; } = 16384;

    public int BlockSizeTokens { get; init; } = 16;

    /// <summary>Token budget of one step: decodes count one each, prefill chunks fill the rest.</summary>
    public int MaxBatchTokens { get; init; } = 512;

    public int MaxRunningSequences { get; init; } = 64;

    /// <summary>Requests that may wait for admission; beyond this, submissions are refused (429).</summary>
    public int MaxWaitingRequests { get; init; } = 256;

    /// <summary>Reuse cached prefix blocks across requests (DeepSeek's context caching).</summary>
    public bool EnablePrefixCache { get; init; } = true;

    /// <summary>
    /// The KV cache tokens that fit <paramref name="bytes"/> of memory for a model caching
    /// <paramref name="bytesPerToken"/> bytes per token.
    /// </summary>
    public static int TokensForBudget(long bytes, long bytesPerToken) => (int)Math.Clamp(bytes / bytesPerToken, 1, int.MaxValue);
}
