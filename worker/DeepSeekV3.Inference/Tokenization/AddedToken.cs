namespace DeepSeekV3.Inference.Tokenization;

/// <summary>A tokenizer.json <c>added_tokens</c> entry: matched literally in text, never split by BPE.</summary>
public sealed record AddedToken(int Id, string Content, bool Special);
