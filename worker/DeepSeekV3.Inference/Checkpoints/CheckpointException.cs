namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// A checkpoint that cannot be loaded as it is: the message names the file and, where there is one,
/// the tensor or config field, so an operator can fix the files rather than read a stack trace.
/// </summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CheckpointException()
    {
    }
}
