namespace DeepSeekV3.Worker.Api;

/// <summary>Which OpenAI endpoint a response is shaped for.</summary>
public enum CompletionKind
{
    /// <summary><c>/v1/chat/completions</c>: messages, deltas, logprobs.content.</summary>
    Chat,

    /// <summary><c>/v1/completions</c>: text, legacy logprobs.</summary>
    Text,
}
