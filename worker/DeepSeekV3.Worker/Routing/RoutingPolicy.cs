namespace DeepSeekV3.Worker.Routing;

/// <summary>How the router picks a prefill worker (<c>--routing-policy</c>, the operator's spec.router.routingPolicy).</summary>
public enum RoutingPolicy
{
    /// <summary>Longest cached prefix of the prompt, then least loaded: fewest prompt tokens computed again.</summary>
    CacheAware,

    /// <summary>Least running + waiting requests, ignoring caches.</summary>
    LeastLoaded,

    /// <summary>Each healthy worker in turn.</summary>
    RoundRobin,
}
