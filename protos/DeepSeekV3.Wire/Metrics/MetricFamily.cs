namespace DeepSeekV3.Wire.Metrics;

/// <summary>The Prometheus metric types the exporter writes.</summary>
public enum MetricFamilyType
{
    Counter,
    Gauge,
    Histogram,
}
