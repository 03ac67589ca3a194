namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>Settings of a <see cref="KubernetesTestServer"/>.</summary>
public sealed class TestServerOptions
{
    /// <summary>When set, every request must carry "Authorization: Bearer {Token}" (else 401).</summary>
    public string? Token { get; init; }

    /// <summary>How often an idle watch with allowWatchBookmarks gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Run the StatefulSet/Deployment simulator (pods appear, become ready; workload status is kept).</summary>
    public bool SimulateWorkloads { get; init; } = true;

    /// <summary>How long a simulated pod takes to become ready after it is created.</summary>
    public TimeSpan PodReadyDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Called with the method and path of every request (request counting in benchmarks).</summary>
    public Action<string, string>? OnRequest { get; init; }
}
