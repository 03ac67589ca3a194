using System.Runtime.ExceptionServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// A fixed set of worker threads that run one <see cref="IParallelJob"/> at a time, with the calling thread taking
/// part. Unlike <c>Parallel.For</c> a run allocates nothing (no delegates, closures or tasks), which keeps the
/// forward pass allocation-free. Tasks are handed out through one atomic counter, so uneven tasks balance.
/// Invariant: runs do not overlap (callers are serialized by a lock); a run returns only after every task finished.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _start = new(0);
    private readonly CountdownEvent _finished = new(1);
    private readonly Lock _runLock = new();
    private IParallelJob? _job;
    private int _taskCount;
    private int _nextTask;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _disposed;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"dsv3-compute-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that execute tasks, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs tasks [0, <paramref name="taskCount"/>) of <paramref name="job"/> and waits for all of them.</summary>
    public void Run(IParallelJob job, int taskCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (taskCount <= 0)
        {
            return;
        }

        int helpers = Math.Min(_workers.Length, taskCount - 1);
        if (helpers == 0)
        {
            for (int task = 0; task < taskCount; task++)
            {
                job.Execute(task);
            }

            return;
        }

        lock (_runLock)
        {
            _job = job;
            _taskCount = taskCount;
            _nextTask = -1;
            _failure = null;
            _finished.Reset(helpers);
            _start.Release(helpers); // a full fence: workers see the fields above
            ExecuteTasks();
            _finished.Wait();
            _job = null;
            _failure?.Throw();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_workers.Length > 0)
        {
            _start.Release(_workers.Length);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }

        _start.Dispose();
        _finished.Dispose();
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_disposed)
            {
                return;
            }

            ExecuteTasks();
            _finished.Signal();
        }
    }

    private void ExecuteTasks()
    {
        var job = _job!;
        int task;
        while ((task = Interlocked.Increment(ref _nextTask)) < _taskCount)
        {
            try
            {
                job.Execute(task);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Handed to the caller of Run, which rethrows it with its original stack.
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
        }
    }
}
