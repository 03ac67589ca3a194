namespace DeepSeekV3.Worker.Serving;

/// <summary>The bounded waiting queue is full: the API answers 429 with Retry-After and loses nothing.</summary>
public sealed class EngineOverloadedException : Exception
{
    public EngineOverloadedException(string message)
        : base(message)
    {
    }

    public EngineOverloadedException()
    {
    }

    public EngineOverloadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
