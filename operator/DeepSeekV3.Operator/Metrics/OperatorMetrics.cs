using System.Diagnostics.Metrics;
using DeepSeekV3.Wire.Metrics;

namespace DeepSeekV3.Operator.Metrics;

/// <summary>
/// Every instrument of deepseek-operator, on one meter, named from <see cref="MetricNames"/> (the dashboard and the
/// alert rules in charts/deepseek-operator/files read these names). Gauges are read at scrape time.
/// </summary>
public sealed class OperatorMetrics : IDisposable
{
    public const string MeterName = "DeepSeekV3.Operator";

    /// <summary>Values of the reconciles counter's result label.</summary>
    public static class Results
    {
        public const string Success = "success";
        public const string Requeue = "requeue";
        public const string Invalid = "invalid";
        public const string Error = "error";
    }

    private readonly Meter _meter = new(MeterName);

    public OperatorMetrics()
    {
        Reconciles = _meter.CreateCounter<long>(MetricNames.Reconciles, description: "Reconciles of DeepSeekDeployments by result (success, requeue, invalid, error).");
        ReconcileDuration = _meter.CreateHistogram(MetricNames.ReconcileDuration, unit: "s", description: "Seconds one reconcile took.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.LatencyBuckets });
    }

    public Meter Meter => _meter;

    public Counter<long> Reconciles { get; }

    public Histogram<double> ReconcileDuration { get; }

    public void RecordReconcile(string result, TimeSpan duration)
    {
        Reconciles.Add(1, new KeyValuePair<string, object?>("result", result));
        ReconcileDuration.Record(duration.TotalSeconds);
    }

    /// <summary>Gauges read from the running operator at scrape time: work-queue depth, leadership, deployments by phase.</summary>
    public void Observe(Func<int> workQueueDepth, Func<bool> isLeader, Func<IEnumerable<KeyValuePair<string, int>>> deploymentsByPhase)
    {
        _meter.CreateObservableGauge(MetricNames.WorkQueueDepth, workQueueDepth, description: "Keys waiting in the reconcile work queue.");
        _meter.CreateObservableGauge(MetricNames.Leader, () => isLeader() ? 1 : 0, description: "1 when this replica holds the leader Lease.");
        _meter.CreateObservableGauge(MetricNames.DeploymentsByPhase,
            () => deploymentsByPhase().Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("phase", p.Key))),
            description: "DeepSeekDeployments in the informer cache by status phase.");
    }

    public void Dispose() => _meter.Dispose();
}
