using System.Diagnostics.Metrics;
using DeepSeekV3.Wire.Metrics;

namespace DeepSeekV3.Worker.Metrics;

/// <summary>Every instrument of the dsv3 worker, on one meter, named from <see cref="MetricNames"/>.</summary>
public sealed class Dsv3Metrics : IDisposable
{
    public const string MeterName = "DeepSeekV3.Worker";

    private readonly Meter _meter = new(MeterName);

    public Dsv3Metrics()
    {
        Requests = _meter.CreateCounter<long>(MetricNames.Requests, description: "HTTP API requests by endpoint and status code.");
        TimeToFirstToken = Histogram(MetricNames.TimeToFirstToken, "Seconds from a request's arrival to its first generated token.");
        InterTokenLatency = Histogram(MetricNames.InterTokenLatency, "Seconds between consecutive generated tokens of a request.");
        RequestDuration = Histogram(MetricNames.RequestDuration, "Seconds from a request's arrival to its end, by finish reason.");
        QueueTime = Histogram(MetricNames.QueueTime, "Seconds a request waited before its first engine step.");
        PromptTokens = _meter.CreateCounter<long>(MetricNames.PromptTokens, description: "Prompt tokens of finished requests.");
        GenerationTokens = _meter.CreateCounter<long>(MetricNames.GenerationTokens, description: "Generated tokens.");
        PromptCacheHitTokens = _meter.CreateCounter<long>(MetricNames.PromptCacheHitTokens, description: "Prompt tokens served from the context cache.");
        PromptCacheMissTokens = _meter.CreateCounter<long>(MetricNames.PromptCacheMissTokens, description: "Prompt tokens computed (not in the context cache).");
        Preemptions = _meter.CreateCounter<long>(MetricNames.Preemptions, description: "Sequences preempted because the KV cache was full.");
        BatchTokens = _meter.CreateHistogram(MetricNames.BatchTokens, unit: "{token}", description: "Tokens fed per engine step.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.BatchTokenBuckets });
    }

    public Meter Meter => _meter;

    public Counter<long> Requests { get; }
    public Histogram<double> TimeToFirstToken { get; }
    public Histogram<double> InterTokenLatency { get; }
    public Histogram<double> RequestDuration { get; }
    public Histogram<double> QueueTime { get; }
    public Counter<long> PromptTokens { get; }
    public Counter<long> GenerationTokens { get; }
    public Counter<long> PromptCacheHitTokens { get; }
    public Counter<long> PromptCacheMissTokens { get; }
    public Counter<long> Preemptions { get; }
    public Histogram<double> BatchTokens { get; }

    /// <summary>Gauges read from the engine's load at scrape time.</summary>
    public void ObserveEngine(Func<Serving.EngineStats?> stats)
    {
        _meter.CreateObservableGauge(MetricNames.RunningRequests, () => stats()?.Running ?? 0, description: "Requests in the running batch.");
        _meter.CreateObservableGauge(MetricNames.WaitingRequests, () => stats()?.Waiting ?? 0, description: "Requests waiting for admission.");
        _meter.CreateObservableGauge(MetricNames.KvCacheUsage,
            () => stats() is { TotalBlocks: > 0 } s ? 1.0 - ((double)s.FreeBlocks / s.TotalBlocks) : 0.0,
            description: "Fraction of KV cache blocks held by requests (cached free blocks count as free).");
        _meter.CreateObservableGauge(MetricNames.KvCacheBlocks, () => stats() is { } s
            ? new[]
            {
                new Measurement<int>(s.FreeBlocks, new KeyValuePair<string, object?>("state", "free")),
                new Measurement<int>(s.TotalBlocks - s.FreeBlocks, new KeyValuePair<string, object?>("state", "used")),
            }
            : [], description: "KV cache blocks by state.");
    }

    /// <summary>
    /// Expert parallelism: tokens routed to each expert (summed over layers, so at most n_routed_experts series) and the
    /// dispatch + combine latency of each MoE layer that went to peers.
    /// </summary>
    public Histogram<double> ObserveExperts(Func<long[]?> tokensPerExpert)
    {
        _meter.CreateObservableCounter(MetricNames.ExpertTokens,
            () => tokensPerExpert() is { } load
                ? load.Select((tokens, expert) => new Measurement<long>(tokens, new KeyValuePair<string, object?>("expert", expert)))
                : [],
            unit: "{token}", description: "Tokens routed to each routed expert by this rank's steps, over all MoE layers.");
        return Histogram(MetricNames.ExpertDispatchDuration, "Seconds from dispatching a MoE layer's tokens to peers to the last combine.");
    }

    public void Dispose() => _meter.Dispose();

    private Histogram<double> Histogram(string name, string description) =>
        _meter.CreateHistogram(name, unit: "s", description: description,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.LatencyBuckets });
}
