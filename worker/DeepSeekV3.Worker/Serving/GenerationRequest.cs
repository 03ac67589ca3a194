namespace DeepSeekV3.Worker.Serving;

/// <summary>One request to the engine: prompt token ids (chat formatting and BOS already applied) and sampling.</summary>
public sealed record GenerationRequest(string RequestId, int[] PromptTokens, SamplingParams Sampling);
