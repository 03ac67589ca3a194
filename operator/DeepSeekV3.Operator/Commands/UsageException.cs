namespace DeepSeekV3.Operator.Commands;

/// <summary>Bad command-line input: the message is printed with the usage and the exit code is 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
