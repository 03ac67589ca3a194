namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Tokens [Start, Start + Count) of a sequence fed in this step. <see cref="WantLogits"/> when the chunk reaches the
/// sequence's last token, so the step samples its next token.
/// </summary>
public readonly record struct ScheduledChunk(Sequence Sequence, int Start, int Count, bool WantLogits);
