using DeepSeekV3.Operator.Metrics;
using DeepSeekV3.Wire.Metrics;

namespace DeepSeekV3.Operator.Tests.Metrics;

public sealed class OperatorMetricsTests
{
    [Fact]
    public void Collect_AfterReconcilesAndWithGauges_ExportsTheNamesTheDashboardReads()
    {
        using var metrics = new OperatorMetrics();
        bool leader = true;
        metrics.Observe(() => 3, () => leader, () => [new("Available", 2), new("Degraded", 1)]);
        using var exporter = new PrometheusExporter([metrics.Meter]);

        metrics.RecordReconcile(OperatorMetrics.Results.Success, TimeSpan.FromMilliseconds(4));
        metrics.RecordReconcile(OperatorMetrics.Results.Success, TimeSpan.FromMilliseconds(2));
        metrics.RecordReconcile(OperatorMetrics.Results.Error, TimeSpan.FromMilliseconds(30));
        string first = exporter.Collect();
        leader = false;
        string second = exporter.Collect();

        Assert.Contains("dsv3_operator_reconciles_total{result=\"success\"} 2\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_reconciles_total{result=\"error\"} 1\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_reconcile_duration_seconds_count 3\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_reconcile_duration_seconds_bucket{le=\"0.005\"} 2\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_workqueue_depth 3\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_deployments{phase=\"Degraded\"} 1\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_leader 1\n", first, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_leader 0\n", second, StringComparison.Ordinal);
    }
}
