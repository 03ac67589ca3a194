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
    public void Run_TaskThrows_RethrowsOnCallerAndPoolStaysUsable()
    {
        using var pool = new WorkerPool(2);

        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(new ThrowingJob(13), 50));
        var job = new CountingJob(50);
        pool.Run(job, 50);

        Assert.Equal("task 13", error.Message);
        Assert.All(job.Counts, count => Assert.Equal(1, count));
    }

    private sealed class CountingJob(int tasks) : IParallelJob
    {
        public int[] Counts { get; } = new int[tasks];

        public void Execute(int task) => Interlocked.Increment(ref Counts[task]);
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
