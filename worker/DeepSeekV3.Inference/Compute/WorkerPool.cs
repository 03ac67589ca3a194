using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// A fixed set of worker threads that run one <see cref="IParallelJob"/> at a time, with the calling thread taking
/// part. Unlike <c>Parallel.For</c> a run allocates nothing (no delegates, closures or tasks), which keeps the
/// forward pass allocation-free. Tasks are handed out through one atomic counter, so uneven tasks balance.
/// A decode step is dozens of runs a few hundred microseconds apart; waking a sleeping thread costs tens of
/// microseconds each time, so workers spin for <see cref="SpinMicroseconds"/> after a run before they sleep, and a run
/// that finds every worker spinning wakes them with one memory write.
/// Invariant: runs do not overlap (callers are serialized by a lock); a run returns only after every task finished.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker watches for the next run before it blocks (and stops using its core).</summary>
    public const int SpinMicroseconds = 200;

    private static readonly long s_spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    /// <summary>How long the caller of a run watches for the workers to finish before it starts yielding its core.</summary>
    public const int YieldAfterMicroseconds = 50;

    private static readonly long s_yieldTicks = Stopwatch.Frequency * YieldAfterMicroseconds / 1_000_000;

    private readonly Thread[] _workers;
    private readonly Lock _runLock = new();
    private readonly object _sleepLock = new();
    private IParallelJob? _job;
    private int _taskCount;
    private int _nextTask;
    private int _generation; // bumped by each run that needs the workers; a worker runs once per new value
    private int _sleepers;   // workers blocked (or about to block) on _sleepLock
    private int _running;    // workers still inside the current run
    private ExceptionDispatchInfo? _failure;
    private volatile bool _disposed;
    private bool _profiling;          // this run is profiled: workers stamp when they start and finish its tasks
    private readonly long[] _started;  // per worker, this run (profiling only)
    private readonly long[] _finished;
    private long _lastRunEnd;          // when the previous profiled run returned (profiling only)

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _workers = new Thread[threads - 1];
        _started = new long[_workers.Length];
        _finished = new long[_workers.Length];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i;
            _workers[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"dsv3-compute-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that execute tasks, the caller included.</summary>
    public int Threads { get; }

    /// <summary>When set, every run that uses the workers is timed into it (a few clock reads per run); null: none is.</summary>
    public PoolProfile? Profile { get; set; }

    /// <summary>Runs tasks [0, <paramref name="taskCount"/>) of <paramref name="job"/> and waits for all of them.</summary>
    public void Run(IParallelJob job, int taskCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (taskCount <= 0)
        {
            return;
        }

        if (_workers.Length == 0 || taskCount == 1)
        {
            var inlineProfile = Profile;
            long inlineStart = inlineProfile is null ? 0 : Stopwatch.GetTimestamp();
            for (int task = 0; task < taskCount; task++)
            {
                job.Execute(task);
            }

            if (inlineProfile is not null)
            {
                RecordInline(inlineProfile, job, inlineStart, Stopwatch.GetTimestamp());
            }

            return;
        }

        lock (_runLock)
        {
            _job = job;
            _taskCount = taskCount;
            _nextTask = -1;
            _failure = null;
            _running = _workers.Length;
            var profile = Profile;
            _profiling = profile is not null;
            long start = _profiling ? Stopwatch.GetTimestamp() : 0;
            Interlocked.Increment(ref _generation); // a full fence: workers that see the new value see the fields above
            WakeSleepers();
            ExecuteTasks();
            long callerDone = _profiling ? Stopwatch.GetTimestamp() : 0;
            WaitForWorkers();
            if (profile is not null)
            {
                RecordRun(profile, job, start, callerDone, Stopwatch.GetTimestamp());
            }

            _job = null;
            _failure?.Throw();
        }
    }

    /// <summary>
    /// Waits for the workers' last tasks. They are awake on their own cores and finish within microseconds, so this
    /// watches with pause instructions only: a yield is a system call, which on a VM cost microseconds per run (several
    /// per cent of a decode step, perf 2026-12-06). Past <see cref="YieldAfterMicroseconds"/> (a worker descheduled by
    /// an oversubscribed machine) it yields its core too.
    /// </summary>
    private void WaitForWorkers()
    {
        long yieldFrom = 0;
        var spin = default(SpinWait);
        for (int polls = 0; Volatile.Read(ref _running) > 0; polls++)
        {
            if (polls < 64 || yieldFrom == 0 || Stopwatch.GetTimestamp() < yieldFrom)
            {
                if (polls == 64)
                {
                    yieldFrom = Stopwatch.GetTimestamp() + s_yieldTicks;
                }

                Thread.SpinWait(1);
                continue;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Increment(ref _generation);
        WakeSleepers();
        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    private void WakeSleepers()
    {
        // Dekker-style handshake with WaitForRun: the generation was bumped with a full fence before this read, and a
        // worker counts itself a sleeper with a full fence before it reads the generation, so one of the two sees the
        // other's write: either we pulse, or the worker does not sleep.
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_sleepLock)
            {
                Monitor.PulseAll(_sleepLock);
            }
        }
    }

    /// <summary>
    /// A run of one task, on the calling thread: its time, and the time since the previous run (<see cref="RecordGap"/>).
    /// </summary>
    private void RecordInline(PoolProfile profile, IParallelJob job, long start, long end)
    {
        string name = job.ToString() ?? job.GetType().Name;
        RecordGap(profile, name, start);
        double microseconds = (end - start) * 1e6 / Stopwatch.Frequency;
        profile.Record($"{name} (caller alone)", microseconds, 0, microseconds, 0, 0);
        _lastRunEnd = Stopwatch.GetTimestamp(); // the recording's own time is no caller code
    }

    /// <summary>
    /// The caller's own code between the previous run and this one (norms, routing, copies: time in which the workers
    /// wait), charged to "before" this run. Gaps of a millisecond or more are not work inside a step but pauses between
    /// steps or measurements, and are left out.
    /// </summary>
    private void RecordGap(PoolProfile profile, string job, long start)
    {
        long gap = start - _lastRunEnd;
        if (_lastRunEnd != 0 && gap < Stopwatch.Frequency / 1000)
        {
            double microseconds = gap * 1e6 / Stopwatch.Frequency;
            profile.Record($"caller code before {job}", microseconds, 0, microseconds, 0, 0);
        }
    }

    private void RecordRun(PoolProfile profile, IParallelJob job, long start, long callerDone, long end)
    {
        double microseconds = 1e6 / Stopwatch.Frequency;
        long firstStart = long.MaxValue, busy = 0;
        for (int i = 0; i < _workers.Length; i++)
        {
            firstStart = Math.Min(firstStart, _started[i]);
            busy += _finished[i] - _started[i];
        }

        string name = job.ToString() ?? job.GetType().Name;
        RecordGap(profile, name, start);
        profile.Record(name, (end - start) * microseconds, (firstStart - start) * microseconds,
            (callerDone - start) * microseconds, busy * microseconds / _workers.Length, (end - callerDone) * microseconds);
        _lastRunEnd = Stopwatch.GetTimestamp(); // the recording's own time is no caller code
    }

    private void WorkerLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            seen = WaitForRun(seen);
            if (_disposed)
            {
                return;
            }

            bool profiling = _profiling;
            if (profiling)
            {
                _started[index] = Stopwatch.GetTimestamp();
            }

            ExecuteTasks();
            if (profiling)
            {
                _finished[index] = Stopwatch.GetTimestamp();
            }

            Interlocked.Decrement(ref _running); // a full fence: the caller that sees the count sees the stamps
        }
    }

    /// <summary>Returns the first generation after <paramref name="seen"/>: spinning first, then blocked.</summary>
    private int WaitForRun(int seen)
    {
        long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
        int current;
        while ((current = Volatile.Read(ref _generation)) == seen)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                Interlocked.Increment(ref _sleepers);
                lock (_sleepLock)
                {
                    while ((current = Volatile.Read(ref _generation)) == seen)
                    {
                        Monitor.Wait(_sleepLock);
                    }
                }

                Interlocked.Decrement(ref _sleepers);
                return current;
            }

            Thread.SpinWait(20);
        }

        return current;
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
