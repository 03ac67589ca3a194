namespace DeepSeekV3.Worker.Serving;

/// <summary>A request the engine cannot run as given; <see cref="Parameter"/> names the offending field (HTTP 400).</summary>
public sealed class InvalidRequestException : Exception
{
    public InvalidRequestException(string parameter, string message)
        : base(message)
    {
        Parameter = parameter;
    }

    public InvalidRequestException()
    {
        Parameter = "";
    }

    public InvalidRequestException(string message)
        : base(message)
    {
        Parameter = "";
    }

    public InvalidRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Parameter = "";
    }

    public string Parameter { get; }
}
