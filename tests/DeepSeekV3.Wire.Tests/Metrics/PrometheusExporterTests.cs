using System.Diagnostics.Metrics;
using DeepSeekV3.Wire.Metrics;

namespace DeepSeekV3.Wire.Tests.Metrics;

/// <summary>The exposition text, exactly: names, suffixes, label order and escaping, cumulative buckets, OpenMetrics.</summary>
public sealed class PrometheusExporterTests
{
    [Fact]
    public void Collect_CounterWithLabels_SortsLabelsEscapesValuesAndAddsTotal()
    {
        using var meter = new Meter("test.counter");
        using var exporter = new PrometheusExporter([meter]);
        var counter = meter.CreateCounter<long>("dsv3_requests", description: "Requests.\nSecond line \\ backslash");

        counter.Add(2, new("status", 200), new("endpoint", "/v1/a"));
        counter.Add(3, new("endpoint", "/v1/a"), new("status", 200));
        counter.Add(1, new("endpoint", "quote\"new\nline\\"), new("status", 400));

        Assert.Equal("""
            # HELP dsv3_requests_total Requests.\nSecond line \\ backslash
            # TYPE dsv3_requests_total counter
            dsv3_requests_total{endpoint="/v1/a",status="200"} 5
            dsv3_requests_total{endpoint="quote\"new\nline\\",status="400"} 1

            """.ReplaceLineEndings("\n"), exporter.Collect());
    }

    [Fact]
    public void Collect_Histogram_HasCumulativeBucketsSumAndCount()
    {
        using var meter = new Meter("test.histogram");
        using var exporter = new PrometheusExporter([meter]);
        var histogram = meter.CreateHistogram("latency_seconds", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });

        histogram.Record(0.05);
        histogram.Record(0.1); // an upper bound is inclusive: le="0.1"
        histogram.Record(0.5);
        histogram.Record(7);

        Assert.Equal("""
            # TYPE latency_seconds histogram
            latency_seconds_bucket{le="0.1"} 2
            latency_seconds_bucket{le="1"} 3
            latency_seconds_bucket{le="+Inf"} 4
            latency_seconds_sum 7.65
            latency_seconds_count 4

            """.ReplaceLineEndings("\n"), exporter.Collect());
    }

    [Fact]
    public void Collect_ObservableAndUpDown_AreGaugesWithCurrentValues()
    {
        using var meter = new Meter("test.gauges");
        using var exporter = new PrometheusExporter([meter]);
        int level = 3;
        meter.CreateObservableGauge("queue_depth", () => level);
        var upDown = meter.CreateUpDownCounter<int>("in_flight");
        upDown.Add(5);
        upDown.Add(-2);

        string first = exporter.Collect();
        level = 9;
        string second = exporter.Collect();

        Assert.Contains("# TYPE in_flight gauge\nin_flight 3\n", first, StringComparison.Ordinal);
        Assert.Contains("queue_depth 3\n", first, StringComparison.Ordinal);
        Assert.Contains("queue_depth 9\n", second, StringComparison.Ordinal);
    }

    [Fact]
    public void Collect_OpenMetrics_NamesCounterFamilyWithoutTotalAndEndsWithEof()
    {
        using var meter = new Meter("test.openmetrics");
        using var exporter = new PrometheusExporter([meter]);
        meter.CreateCounter<long>("tokens_total").Add(4);

        Assert.Equal("# TYPE tokens counter\ntokens_total 4\n# EOF\n", exporter.Collect(openMetrics: true));
    }

    [Fact]
    public void Collect_OtherMeters_AreNotExported()
    {
        using var mine = new Meter("same.name");
        using var other = new Meter("same.name");
        using var exporter = new PrometheusExporter([mine]);
        mine.CreateCounter<long>("mine").Add(1);
        other.CreateCounter<long>("theirs").Add(1);

        string text = exporter.Collect();

        Assert.Contains("mine_total 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("theirs", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dsv3.requests-total", "dsv3_requests_total")]
    [InlineData("9lives", "_lives")]
    [InlineData("a:b", "a:b")]
    public void MetricName_InvalidCharacters_BecomeUnderscores(string name, string expected) =>
        Assert.Equal(expected, PrometheusText.MetricName(name));
}
