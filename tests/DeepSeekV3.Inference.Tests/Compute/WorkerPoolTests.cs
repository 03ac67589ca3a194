using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

public sealed class WorkerPoolTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 1)]
    [InlineData(3, 1000)]
    public void Run_EveryTaskExactlyOnce(int threads, int tasks)
    {
        using var pool = new WorkerPool(threads);
        var job = new CountingJob(tasks);

        for (int run = 0; run < 20; run++)
        {
            pool.Run(job, tasks);
        }

        Assert.All(job.Counts, count => Assert.Equal(20, count));
    }

    [Fact]
    public void Run_AfterWorkersFellAsleep_WakesThemAndRunsEveryTask()
    {
        using var pool = new WorkerPool(3);
        var job = new ThreadRecordingJob(64);

        for (int run = 0; run < 5; run++)
        {
            Thread.Sleep(TimeSpan.FromMicroseconds(WorkerPool.SpinMicroseconds * 10)); // past the spin: workers block
            pool.Run(job, 64);
        }

        Assert.All(job.Counts, count => Assert.Equal(5, count));
        Assert.True(job.Threads.Count > 1, "only the caller ran tasks: the sleeping workers were never woken");
    }

    [Fact]
    public async Task Dispose_WhileWorkersSleep_Returns()
    {
        var pool = new WorkerPool(2);
        pool.Run(new CountingJob(8), 8);
        Thread.Sleep(TimeSpan.FromMicroseconds(WorkerPool.SpinMicroseconds * 10));

        await Task.Run(pool.Dispose).WaitAsync(TimeSpan.FromSeconds(10)); // throws TimeoutException if it hangs

        Assert.Throws<ObjectDisposedException>(() => pool.Run(new CountingJob(2), 2));
    }

    [Fact]
    public void Run_TaskThrows_RethrowsOnCallerAndPoolStaysUsable()
    {
        using var pool = new WorkerPool(2);

        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(new ThrowingJob(13), 50));
        var job = new CountingJob(50);
        pool.Run(job, 50);

        Assert.Equal("task 13", error.Message);
        Assert.All(job.Counts, count => Assert.Equal(1, count));
    }

    [Fact]
    public void Profile_TimesEveryRun_TheCallersOwnRuns_AndTheCallerCodeBetweenRuns()
    {
        // A gap of a millisecond or more is left out as a pause, and a thread descheduled while other test assemblies
        // run can leave one: a few tries at the sequence, the first whose gaps all stayed short is checked.
        var (profile, callerCodeMicroseconds) = ProfileOfRuns();
        for (int attempt = 1; attempt < 5 && profile.Rows.Sum(row => row.Runs) != 11; attempt++)
        {
            (profile, callerCodeMicroseconds) = ProfileOfRuns();
        }

        var rows = profile.Rows.ToDictionary(row => row.Job);
        Assert.Equal(["a", "b", "b (caller alone)", "caller code before a", "caller code before b"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, rows["a"].Runs);
        Assert.Equal(2, rows["b"].Runs);
        Assert.All(new[] { rows["a"], rows["b"] }, row =>
        {
            Assert.True(row.CallerBusyMicroseconds > 0 && row.CallerWaitMicroseconds >= 0 && row.WakeMicroseconds >= 0);
            Assert.Equal(row.MicrosecondsPerRun, row.CallerBusyMicroseconds + row.CallerWaitMicroseconds, 6);
            Assert.Equal(row.MicrosecondsPerRun * row.Runs / 1000, row.TotalMilliseconds, 6);
        });
        Assert.True(rows["a"].WorkersBusyMicroseconds > 0, "the worker ran none of 24 spinning tasks");

        var alone = rows["b (caller alone)"];
        Assert.Equal(1, alone.Runs);
        Assert.True(alone.MicrosecondsPerRun > 0);
        Assert.Equal(alone.MicrosecondsPerRun, alone.CallerBusyMicroseconds, 6);
        Assert.Equal(0, alone.WorkersBusyMicroseconds);

        // Between runs: the first run has nothing before it; the caller's busy loop is charged to the run after it.
        Assert.Equal(2, rows["caller code before a"].Runs);
        Assert.Equal(3, rows["caller code before b"].Runs);
        Assert.InRange(rows["caller code before b"].TotalMilliseconds * 1000, callerCodeMicroseconds, double.MaxValue);
        Assert.Equal(profile.Rows.Select(row => row.TotalMilliseconds).OrderDescending(), profile.Rows.Select(row => row.TotalMilliseconds));

        profile.Clear();
        Assert.Empty(profile.Rows);
    }

    /// <summary>Three runs of a, two of b with 100 µs of the caller's own work between them, one b alone; then one unprofiled.</summary>
    private static (PoolProfile Profile, double CallerCodeMicroseconds) ProfileOfRuns()
    {
        var profile = new PoolProfile();
        using var pool = new WorkerPool(2) { Profile = profile };
        var a = new SpinningJob("a");
        var b = new SpinningJob("b");
        for (int run = 0; run < 3; run++)
        {
            pool.Run(a, 8);
        }

        pool.Run(b, 4);
        var callerCode = System.Diagnostics.Stopwatch.StartNew();
        while (callerCode.Elapsed.TotalMicroseconds < 100)
        {
            // the caller's own work between two runs, as a layer's norms and routing are
        }

        double callerCodeMicroseconds = callerCode.Elapsed.TotalMicroseconds;
        pool.Run(b, 4);
        pool.Run(b, 1); // one task runs on the caller alone
        pool.Profile = null;
        pool.Run(b, 4); // not profiled any more
        return (profile, callerCodeMicroseconds);
    }

    /// <summary>Tasks that each spin a while (so both threads get some), named for the profile.</summary>
    private sealed class SpinningJob(string name) : IParallelJob
    {
        public void Execute(int task) => Thread.SpinWait(20_000);

        public override string ToString() => name;
    }

    private sealed class CountingJob(int tasks) : IParallelJob
    {
        public int[] Counts { get; } = new int[tasks];

        public void Execute(int task) => Interlocked.Increment(ref Counts[task]);
    }

    /// <summary>Counts each task and records which threads ran tasks (each task waits a little, so work spreads).</summary>
    private sealed class ThreadRecordingJob(int tasks) : IParallelJob
    {
        public int[] Counts { get; } = new int[tasks];

        public System.Collections.Concurrent.ConcurrentDictionary<int, bool> Threads { get; } = new();

        public void Execute(int task)
        {
            Interlocked.Increment(ref Counts[task]);
            Threads[Environment.CurrentManagedThreadId] = true;
            Thread.SpinWait(20_000);
        }
    }

    private sealed class ThrowingJob(int failing) : IParallelJob
    {
        public void Execute(int task)
        {
            if (task == failing)
            {
                throw new InvalidOperationException($"task {task}");
            }
        }
    }
}
