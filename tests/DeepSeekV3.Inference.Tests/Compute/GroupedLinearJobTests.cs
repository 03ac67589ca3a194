using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Tests.Compute;

/// <summary>How a group of products is cut into tasks (the results are checked in <see cref="CpuBackendTests"/>).</summary>
public sealed unsafe class GroupedLinearJobTests
{
    [Theory]
    [InlineData(5, 1, 5)] // one thread: nothing to balance
    [InlineData(4, 2, 4)] // divides evenly: every product stays one task
    [InlineData(5, 2, 6)] // 4 whole + the last in halves: 2.5 products' worth per thread
    [InlineData(5, 3, 9)] // 3 whole + the last two in thirds
    [InlineData(10, 2, 10)] // a batch-1 MoE layer's gate and up projections
    public void OneTokenExperts_RemainderIsCutIntoOnePiecePerThread(int products, int threads, int expectedTasks)
    {
        // Batch-1 expert products (384 rows of 1024 columns) are one task each: each streams its rows whole.
        using var weight = CpuBackendTests.TestWeight.Create(WeightFormat.F8E4M3Blocked, 384, 1024, seed: 5);
        var x = new float[1024];
        var y = new float[products * 384];
        var job = new GroupedLinearJob();
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            var group = new LinearProduct[products];
            for (int p = 0; p < products; p++)
            {
                group[p] = new LinearProduct(weight.Matrix, xp, 1, yp + (p * 384));
            }

            job.Set(group, new PackInputJob(), threads);
        }

        Assert.Equal(expectedTasks, job.Tasks);
    }

    [Theory]
    [InlineData(384, 288, 3)] // batch-1 MLA's q_a and kv_a: q_a cut at the mean (336 rows), its 48 left as a third task
    [InlineData(384, 384, 2)] // equal: each stays whole
    [InlineData(384, 352, 2)] // 16 rows over the mean of 368, under a sixteenth: not worth a task
    public void OneTaskPerThreadOfUnequalSize_TheLargerIsCutAtTheMean(int rowsA, int rowsB, int expectedTasks)
    {
        using var a = CpuBackendTests.TestWeight.Create(WeightFormat.F8E4M3Blocked, rowsA, 1024, seed: 7);
        using var b = CpuBackendTests.TestWeight.Create(WeightFormat.F8E4M3Blocked, rowsB, 1024, seed: 8);
        var x = new float[1024];
        var y = new float[rowsA + rowsB];
        var job = new GroupedLinearJob();
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            job.Set([new LinearProduct(a.Matrix, xp, 1, yp), new LinearProduct(b.Matrix, xp, 1, yp + rowsA)], new PackInputJob(), threads: 2);
        }

        Assert.Equal(expectedTasks, job.Tasks);
    }
}
