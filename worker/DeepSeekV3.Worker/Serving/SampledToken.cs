namespace DeepSeekV3.Worker.Serving;

/// <summary>The chosen token, its logprob, and the top alternatives when logprobs were asked for.</summary>
public sealed record SampledToken(int TokenId, float Logprob, IReadOnlyList<TokenLogprob> TopLogprobs);
