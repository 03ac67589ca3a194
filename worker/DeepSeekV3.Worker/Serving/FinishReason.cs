namespace DeepSeekV3.Worker.Serving;

/// <summary>Why a sequence stopped, with the OpenAI <c>finish_reason</c> spellings in <see cref="FinishReasons"/>.</summary>
public enum FinishReason
{
    /// <summary>End-of-sequence token, a stop string or a stop token id.</summary>
    Stop,

    /// <summary>max_tokens reached, or the context is full.</summary>
    Length,

    /// <summary>The client went away or cancelled.</summary>
    Cancelled,
}
