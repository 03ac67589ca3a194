namespace DeepSeekV3.Operator.Tests;

/// <summary>Waits for a condition on the world (an object appears, a status settles) with a deadline, polling.</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string? what = null) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);

    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string? what = null) =>
        TrueAsync(condition, timeout, () => what ?? "condition");

    /// <summary>As above, with the description made when the deadline passes (a process log as it is by then).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not true within {timeout.TotalSeconds} s: {what()}");
            }

            await Task.Delay(50);
        }
    }
}
