using System.Diagnostics.Metrics;

namespace DeepSeekV3.Wire.Metrics;

/// <summary>gRPC server calls by method and status, and their durations (names from <see cref="MetricNames"/>).</summary>
public sealed class GrpcMetrics : IDisposable
{
    public const string MeterName = "DeepSeekV3.Grpc";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;

    public GrpcMetrics()
    {
        _calls = _meter.CreateCounter<long>(MetricNames.GrpcCalls, description: "gRPC calls served, by method and status code.");
        _duration = _meter.CreateHistogram(MetricNames.GrpcCallDuration, unit: "s", description: "Seconds from a call's headers to its status, by method.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.LatencyBuckets });
    }

    public Meter Meter => _meter;

    /// <summary>Records one finished call; the method is a ":path", a bounded set (the bound methods).</summary>
    public void Record(string method, Grpc.StatusCode status, TimeSpan duration)
    {
        var methodTag = new KeyValuePair<string, object?>("method", method);
        _calls.Add(1, methodTag, new KeyValuePair<string, object?>("status", status.ToString()));
        _duration.Record(duration.TotalSeconds, methodTag);
    }

    public void Dispose() => _meter.Dispose();
}
