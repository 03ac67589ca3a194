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
    public void Profile_TimesEveryRunThatUsesTheWorkers_PerJob()
    {
        using var pool = new WorkerPool(2) { Profile = new PoolProfile() };
        var a = new SpinningJob("a");
        var b = new SpinningJob("b");

        for (int run = 0; run < 3; run++)
        {
            pool.Run(a, 8);
        }

        pool.Run(b, 4);
        pool.Run(b, 4);
        pool.Run(b, 1); // one task runs on the caller: no pool run to time
        var profile = pool.Profile;
        pool.Profile = null;
        pool.Run(b, 4); // not profiled any more

        var rows = profile.Rows;
        Assert.Equal(["a", "b"], rows.Select(row => row.Job)); // the most time first: 24 tasks against 8
        Assert.Equal([3L, 2L], rows.Select(row => row.Runs));
        Assert.All(rows, row =>
        {
            Assert.True(row.CallerBusyMicroseconds > 0 && row.CallerWaitMicroseconds >= 0 && row.WakeMicroseconds >= 0);
            Assert.Equal(row.MicrosecondsPerRun, row.CallerBusyMicroseconds + row.CallerWaitMicroseconds, 6);
            Assert.Equal(row.MicrosecondsPerRun * row.Runs / 1000, row.TotalMilliseconds, 6);
        });
        Assert.True(rows[0].WorkersBusyMicroseconds > 0, "the worker ran none of 24 spinning tasks");

        profile.Clear();
        Assert.Empty(profile.Rows);
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
