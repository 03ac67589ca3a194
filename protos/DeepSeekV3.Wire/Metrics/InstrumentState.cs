using System.Diagnostics.Metrics;

namespace DeepSeekV3.Wire.Metrics;

/// <summary>
/// The aggregate of one instrument since the process started, per label set: a running sum for counters and
/// up-down counters, the last value for gauges, cumulative buckets plus sum and count for histograms. Measurements
/// arrive from any thread; one lock per instrument keeps each label set's numbers consistent with each other.
/// </summary>
internal sealed class InstrumentState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);

    public InstrumentState(Instrument instrument, string name, MetricFamilyType type, double[] bounds)
    {
        Instrument = instrument;
        Name = name;
        Type = type;
        Bounds = bounds;
    }

    public Instrument Instrument { get; }

    public string Name { get; }

    public MetricFamilyType Type { get; }

    /// <summary>Histogram upper bounds, ascending (the +Inf bucket is implicit).</summary>
    public double[] Bounds { get; }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, bool isCumulativeObservation)
    {
        string labels = PrometheusText.FormatLabels(tags);
        lock (_lock)
        {
            if (!_series.TryGetValue(labels, out var series))
            {
                _series[labels] = series = new Series(Bounds.Length + 1);
            }

            switch (Type)
            {
                case MetricFamilyType.Histogram:
                    int bucket = Array.BinarySearch(Bounds, value);
                    series.Buckets[bucket >= 0 ? bucket : ~bucket]++;
                    series.Sum += value;
                    series.Count++;
                    break;
                case MetricFamilyType.Counter when !isCumulativeObservation:
                    series.Value += value;
                    break;
                case MetricFamilyType.Gauge when Instrument is UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double>:
                    series.Value += value;
                    break;
                default:
                    // Observable instruments report the current total or level: it replaces the last one.
                    series.Value = value;
                    break;
            }
        }
    }

    public List<(string Labels, double Value, long[] Buckets, double Sum, long Count)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _series.OrderBy(pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => (pair.Key, pair.Value.Value, (long[])pair.Value.Buckets.Clone(), pair.Value.Sum, pair.Value.Count))];
        }
    }

    private sealed class Series(int buckets)
    {
        public double Value;
        public double Sum;
        public long Count;
        public long[] Buckets { get; } = new long[buckets];
    }
}
