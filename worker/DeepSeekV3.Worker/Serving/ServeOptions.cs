using DeepSeekV3.Worker.Routing;

namespace DeepSeekV3.Worker.Serving;

/// <summary>Settings of <c>dsv3 serve</c>.</summary>
public sealed record ServeOptions
{
    public required string ModelDirectory { get; init; }
    public WorkerRole Role { get; init; } = WorkerRole.Combined;
    /// <summary>gRPC (HTTP/2) port of the prefill, decode and combined roles.</summary>
    public int GrpcPort { get; init; } = 50051;
    /// <summary>The router's workers, as host:port of their gRPC ports (a headless Service's pod DNS names on Kubernetes).</summary>
    public IReadOnlyList<string> PrefillWorkers { get; init; } = [];
    public IReadOnlyList<string> DecodeWorkers { get; init; } = [];
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8000;
    public string? ServedModelName { get; init; }
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    public EngineOptions Engine { get; init; } = new();

    /// <summary>When set, the KV cache gets this memory and its token capacity follows from the model's cache row size.</summary>
    public long? KvCacheBytes { get; init; }
    public int? Threads { get; init; }
    public bool Preload { get; init; } = true;

    /// <summary>Where the weights live: copied into huge pages (faster kernels, a private copy per process) or mapped (shared page cache).</summary>
    public Inference.Checkpoints.WeightMemory WeightMemory { get; init; } = Inference.Checkpoints.WeightMemory.HugePages;

    /// <summary>The group's revision (the operator sets DSV3_REVISION); reported to routers, which pair only equal revisions.</summary>
    public string Revision { get; init; } = "";

    /// <summary>How a router picks prefill workers.</summary>
    public RoutingPolicy RoutingPolicy { get; init; } = RoutingPolicy.CacheAware;

    /// <summary>This process's place in an expert-parallel group (DSV3_RANK, DSV3_GROUP_SIZE, DSV3_PEERS); alone by default.</summary>
    public Experts.GroupTopology Group { get; init; } = Experts.GroupTopology.Alone;

    /// <summary>How long the leader waits for every rank of its group to be ready before it reports a failure.</summary>
    public TimeSpan GroupTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the leader re-balances its experts from observed load (zero: never).</summary>
    public TimeSpan RebalanceInterval { get; init; } = TimeSpan.Zero;

    public string ModelName => ServedModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelDirectory)));
}
