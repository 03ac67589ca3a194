using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Wire.Metrics;

/// <summary>
/// Exports System.Diagnostics.Metrics instruments of the chosen meters at /metrics, in the Prometheus text format
/// (or OpenMetrics when the scraper asks for it): a MeterListener aggregates every measurement as it happens,
/// observable instruments are read at scrape time. Counters get the _total suffix, histograms _bucket/_sum/_count
/// with the bucket bounds the instrument advises. The seam where prometheus-net would otherwise sit.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Seconds-scale default buckets for histograms without advice (latencies from 1 ms to 60 s).</summary>
    public static readonly double[] DefaultBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly List<InstrumentState> _states = [];

    /// <summary>Exports the instruments of exactly these meter instances (two servers in one process never mix).</summary>
    public PrometheusExporter(IEnumerable<Meter> meters)
    {
        var exported = meters.ToHashSet();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (exported.Contains(instrument.Meter))
            {
                var state = CreateState(instrument);
                lock (_lock)
                {
                    _states.Add(state);
                }

                listener.EnableMeasurementEvents(instrument, state);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<float>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.Start();
    }

    /// <summary>Answers a scrape, negotiating the format from the Accept header.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        bool openMetrics = context.Request.Headers.Accept.ToString().Contains("application/openmetrics-text", StringComparison.Ordinal);
        context.Response.ContentType = openMetrics ? PrometheusText.OpenMetricsContentType : PrometheusText.ContentType;
        await context.Response.WriteAsync(Collect(openMetrics));
    }

    /// <summary>Every family, sorted by name, in the requested format.</summary>
    public string Collect(bool openMetrics = false)
    {
        _listener.RecordObservableInstruments();
        InstrumentState[] states;
        lock (_lock)
        {
            states = [.. _states.OrderBy(s => s.Name, StringComparer.Ordinal)];
        }

        var text = new StringBuilder();
        foreach (var state in states)
        {
            Write(text, state, openMetrics);
        }

        if (openMetrics)
        {
            text.Append("# EOF\n");
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static void Write(StringBuilder text, InstrumentState state, bool openMetrics)
    {
        var series = state.Snapshot();
        if (series.Count == 0)
        {
            return;
        }

        string sampleName = state.Name;
        // Text 0.0.4 names a counter family with its _total; OpenMetrics names it without and adds _total to samples.
        string familyName = openMetrics && state.Type == MetricFamilyType.Counter ? sampleName[..^"_total".Length] : sampleName;
        string type = state.Type.ToString().ToLowerInvariant();
        if (!string.IsNullOrEmpty(state.Instrument.Description))
        {
            text.Append("# HELP ").Append(familyName).Append(' ').Append(PrometheusText.EscapeHelp(state.Instrument.Description)).Append('\n');
        }

        text.Append("# TYPE ").Append(familyName).Append(' ').Append(type).Append('\n');
        foreach (var (labels, value, buckets, sum, count) in series)
        {
            if (state.Type != MetricFamilyType.Histogram)
            {
                text.Append(sampleName).Append(labels).Append(' ').Append(PrometheusText.FormatValue(value)).Append('\n');
                continue;
            }

            long cumulative = 0;
            for (int b = 0; b < buckets.Length; b++)
            {
                cumulative += buckets[b];
                string le = b < state.Bounds.Length ? PrometheusText.FormatValue(state.Bounds[b]) : "+Inf";
                text.Append(sampleName).Append("_bucket").Append(PrometheusText.WithLabel(labels, "le", le)).Append(' ')
                    .Append(cumulative.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            }

            text.Append(sampleName).Append("_sum").Append(labels).Append(' ').Append(PrometheusText.FormatValue(sum)).Append('\n');
            text.Append(sampleName).Append("_count").Append(labels).Append(' ')
                .Append(count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private static InstrumentState CreateState(Instrument instrument)
    {
        string name = PrometheusText.MetricName(instrument.Name);
        var type = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double>
                => MetricFamilyType.Counter,
            Histogram<double> or Histogram<long> or Histogram<int> => MetricFamilyType.Histogram,
            _ => MetricFamilyType.Gauge,
        };
        if (type == MetricFamilyType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        double[] bounds = type != MetricFamilyType.Histogram ? []
            : instrument switch
            {
                Histogram<double> h when h.Advice?.HistogramBucketBoundaries is { } b => [.. b],
                Histogram<long> h when h.Advice?.HistogramBucketBoundaries is { } b => [.. b.Select(v => (double)v)],
                _ => DefaultBuckets,
            };
        return new InstrumentState(instrument, name, type, bounds);
    }

    private static void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct
    {
        if (state is InstrumentState instrumentState)
        {
            bool observedTotal = instrument.IsObservable && instrumentState.Type == MetricFamilyType.Counter;
            instrumentState.Record(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), tags, observedTotal);
        }
    }
}
