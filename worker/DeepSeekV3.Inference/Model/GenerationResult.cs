namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Everything a greedy run of one prompt produced, in the shape of a golden <c>expected.json</c> prompt entry:
/// the prefill logits (last prompt position), each decode step, and the generated tokens (the first from prefill).
/// </summary>
public sealed record GenerationResult(int[] Tokens, float[] PrefillLogits, IReadOnlyList<DecodeStep> Decode, int[] GreedyTokens);
