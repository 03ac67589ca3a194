namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Token counts of one request. <see cref="CachedPromptTokens"/> are prompt tokens whose KV came from the context
/// cache (DeepSeek's <c>prompt_cache_hit_tokens</c>); the rest of the prompt was computed (<c>prompt_cache_miss_tokens</c>).
/// </summary>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens)
{
    public int MissedPromptTokens => PromptTokens - CachedPromptTokens;

    public int TotalTokens => PromptTokens + CompletionTokens;
}
