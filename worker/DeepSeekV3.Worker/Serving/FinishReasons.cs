namespace DeepSeekV3.Worker.Serving;

/// <summary>OpenAI spellings of <see cref="FinishReason"/>.</summary>
public static class FinishReasons
{
    public static string ToOpenAi(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => "cancelled",
    };
}
