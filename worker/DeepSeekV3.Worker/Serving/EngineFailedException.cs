namespace DeepSeekV3.Worker.Serving;

/// <summary>A step of the engine failed; the requests in it end with this error instead of a finish event.</summary>
public sealed class EngineFailedException : Exception
{
    public EngineFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EngineFailedException()
    {
    }

    public EngineFailedException(string message)
        : base(message)
    {
    }
}
