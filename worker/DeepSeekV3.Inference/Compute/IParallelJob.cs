namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// A kernel split into independent tasks for <see cref="WorkerPool"/>. Jobs are long-lived objects whose fields are
/// set before each run, so running one allocates nothing.
/// </summary>
public interface IParallelJob
{
    /// <summary>Runs task <paramref name="task"/> of the current run; tasks never write the same memory.</summary>
    void Execute(int task);
}
