namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// How to choose each next token, with OpenAI's meanings. Temperature 0 is greedy (argmax, first index on ties).
/// <see cref="TopLogprobs"/> null means no logprobs; 0 means the chosen token's logprob only.
/// </summary>
public sealed record SamplingParams
{
    public float Temperature { get; init; } = 1f;
    public float TopP { get; init; } = 1f;
    /// <summary>Keep only the k most likely tokens; 0 = no limit.</summary>
    public int TopK { get; init; }
    public ulong? Seed { get; init; }
    public int MaxTokens { get; init; } = 16;
    public IReadOnlyList<string> Stop { get; init; } = [];
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    public bool IgnoreEos { get; init; }
    public int? TopLogprobs { get; init; }
    public float PresencePenalty { get; init; }
    public float FrequencyPenalty { get; init; }

    public bool IsGreedy => Temperature == 0f;
}
