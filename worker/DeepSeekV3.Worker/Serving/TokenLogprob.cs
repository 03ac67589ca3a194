namespace DeepSeekV3.Worker.Serving;

/// <summary>A token and its log-probability under the model's distribution (before temperature and penalties).</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
