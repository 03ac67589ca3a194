namespace DeepSeekV3.Worker.Commands;

/// <summary>The command line is wrong: the message says what to change; the process exits with code 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
