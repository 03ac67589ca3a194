namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// Where a <see cref="WorkerPool"/>'s time goes, per kind of job (<c>dsv3 bench --pool-profile</c>): runs, time per run,
/// how long the first worker took to start, how long the caller and the workers were busy with tasks, and how long the
/// caller waited for the workers after its own tasks ran out. Two threads whose busy times differ, or a long wait, show
/// a run that the task cut leaves unbalanced; a long wake, workers that had gone to sleep. Runs of a single task, which
/// the caller executes alone, appear as "(caller alone)", and the caller's own code between two runs (norms, routing,
/// copies) as "caller code before" the run that follows it: the time in which the workers' cores go unused.
/// Recorded by the thread that calls <see cref="WorkerPool.Run"/>, one caller at a time (a benchmark's engine thread);
/// read once the runs are over.
/// </summary>
public sealed class PoolProfile
{
    private readonly Dictionary<string, Totals> _jobs = new(StringComparer.Ordinal);

    /// <summary>Adds one run of <paramref name="job"/>; times in microseconds, <paramref name="workersBusy"/> averaged over the workers.</summary>
    public void Record(string job, double total, double wake, double callerBusy, double workersBusy, double callerWait)
    {
        if (!_jobs.TryGetValue(job, out var totals))
        {
            _jobs[job] = totals = new Totals();
        }

        totals.Runs++;
        totals.Total += total;
        totals.Wake += wake;
        totals.CallerBusy += callerBusy;
        totals.WorkersBusy += workersBusy;
        totals.CallerWait += callerWait;
    }

    public void Clear() => _jobs.Clear();

    /// <summary>One row per kind of job, the most time first; times per run in microseconds.</summary>
    public IReadOnlyList<PoolProfileRow> Rows =>
        [.. _jobs.Select(pair => new PoolProfileRow(pair.Key, pair.Value.Runs, pair.Value.Total / pair.Value.Runs, pair.Value.Wake / pair.Value.Runs,
                pair.Value.CallerBusy / pair.Value.Runs, pair.Value.WorkersBusy / pair.Value.Runs, pair.Value.CallerWait / pair.Value.Runs,
                pair.Value.Total / 1000))
            .OrderByDescending(row => row.TotalMilliseconds)];

    public void WriteText(TextWriter output)
    {
        output.WriteLine($"    {"job",-64} {"runs",8} {"us/run",9} {"wake us",9} {"caller us",10} {"workers us",11} {"wait us",9} {"total ms",10}");
        foreach (var row in Rows)
        {
            output.WriteLine(FormattableString.Invariant(
                $"    {row.Job,-64} {row.Runs,8} {row.MicrosecondsPerRun,9:F1} {row.WakeMicroseconds,9:F1} {row.CallerBusyMicroseconds,10:F1} {row.WorkersBusyMicroseconds,11:F1} {row.CallerWaitMicroseconds,9:F1} {row.TotalMilliseconds,10:F1}"));
        }
    }

    private sealed class Totals
    {
        public long Runs;
        public double Total;
        public double Wake;
        public double CallerBusy;
        public double WorkersBusy;
        public double CallerWait;
    }
}

/// <summary>A kind of job's figures in a <see cref="PoolProfile"/>: per-run averages in microseconds, and the total.</summary>
public readonly record struct PoolProfileRow(string Job, long Runs, double MicrosecondsPerRun, double WakeMicroseconds,
    double CallerBusyMicroseconds, double WorkersBusyMicroseconds, double CallerWaitMicroseconds, double TotalMilliseconds);
