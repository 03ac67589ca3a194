namespace DeepSeekV3.Operator.Controller;

/// <summary>Settings of `deepseek-operator run`, one per command-line flag.</summary>
public sealed class OperatorOptions
{
    public string? Kubeconfig { get; set; }

    public string? Context { get; set; }

    /// <summary>The namespace to watch; null watches all namespaces (the chart's default, with a ClusterRole).</summary>
    public string? WatchNamespace { get; set; }

    public int Workers { get; set; } = 4;

    public int MetricsPort { get; set; } = 8080;

    public string BindAddress { get; set; } = "0.0.0.0";

    public bool LeaderElect { get; set; }

    public string? LeaseNamespace { get; set; }

    public string LeaseName { get; set; } = "deepseek-operator";

    public string Identity { get; set; } = Environment.GetEnvironmentVariable("POD_NAME") ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    public TimeSpan DrainPeriod { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}
