namespace DeepSeekV3.Inference.Tokenization;

/// <summary>One turn of a chat: role <c>system</c>, <c>user</c> or <c>assistant</c>, and its text.</summary>
public sealed record ChatMessage(string Role, string Content);
