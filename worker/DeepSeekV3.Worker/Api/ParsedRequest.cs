using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Api;

/// <summary>An OpenAI request after validation: what to run and how to answer.</summary>
public sealed record ParsedRequest(
    int[] PromptTokens,
    SamplingParams Sampling,
    bool Stream,
    bool IncludeUsage,
    bool Logprobs,
    string? Model);
