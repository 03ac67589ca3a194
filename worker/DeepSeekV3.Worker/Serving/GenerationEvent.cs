namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// What the engine tells a request's reader, in order: one event per generated token (<see cref="Token"/> set,
/// <see cref="Text"/> the newly completed text, possibly empty while a multi-byte character or a possible stop
/// string is held back), then exactly one final event with <see cref="Finish"/> and <see cref="Usage"/>.
/// </summary>
public sealed record GenerationEvent(string Text, SampledToken? Token, FinishReason? Finish, GenerationUsage? Usage);
