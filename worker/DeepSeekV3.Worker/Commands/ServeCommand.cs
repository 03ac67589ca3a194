using DeepSeekV3.Worker.Routing;
using DeepSeekV3.Worker.Serving;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>dsv3 serve --role combined|prefill|decode|router --model DIR [--port 8000] [--grpc-port 50051]
/// [--prefill HOST:PORT ...] [--decode HOST:PORT ...] [--host 127.0.0.1] [--served-model-name NAME]
/// [--api-key KEY ...] [--kv-cache-tokens N | --kv-cache-mib N] [--max-batch-tokens N] [--max-running N] [--max-queue N]
/// [--no-prefix-cache] [--no-preload] [--weight-memory huge-pages|mapped] [--threads N] [--revision REV] [--routing-policy cache-aware|least-loaded|round-robin] [--rank R --group-size N --peers A0,A1,...]
/// [--redundant-experts D] [--group-timeout-seconds S] [--rebalance-seconds S]</c>: an OpenAI-compatible server, alone or as one rank of an expert-parallel group.
/// </summary>
public static class ServeCommand
{
    public const string Usage =
        "dsv3 serve --role combined|prefill|decode|router --model DIR [--port 8000] [--grpc-port 50051] [--prefill HOST:PORT ...] [--decode HOST:PORT ...] [--host 127.0.0.1] [--served-model-name NAME] [--api-key KEY ...] [--kv-cache-tokens N | --kv-cache-mib N] [--max-batch-tokens N] [--max-running N] [--max-queue N] [--no-prefix-cache] [--no-preload] [--weight-memory huge-pages|mapped] [--threads N] [--revision REV] [--routing-policy cache-aware|least-loaded|round-robin] [--rank R --group-size N --peers A0,A1,...] [--redundant-experts D] [--group-timeout-seconds S] [--rebalance-seconds S]";

    public static int Run(IReadOnlyList<string> arguments)
    {
        var options = Parse(arguments);
        var app = ServerHost.Build(options);
        app.Run();
        return 0;
    }

    /// <summary>The group from --rank/--group-size/--peers, else from DSV3_RANK/DSV3_GROUP_SIZE/DSV3_PEERS (the operator's).</summary>
    private static Experts.GroupTopology Group(CommandLineArguments args)
    {
        try
        {
            if (args.Optional("group-size") is { } size)
            {
                return Experts.GroupTopology.Parse(args.Optional("rank") ?? "0", size, args.Optional("peers") ?? "", args.Optional("redundant-experts") ?? "0");
            }

            if (args.Optional("rank") is not null || args.Optional("peers") is not null || args.Optional("redundant-experts") is not null)
            {
                throw new FormatException("--rank, --peers and --redundant-experts need --group-size");
            }

            return Experts.GroupTopology.FromEnvironment(Environment.GetEnvironmentVariable);
        }
        catch (FormatException e)
        {
            throw new UsageException($"expert-parallel group: {e.Message}");
        }
    }

    public static ServeOptions Parse(IReadOnlyList<string> arguments)
    {
        var args = new CommandLineArguments(arguments, new HashSet<string> { "no-prefix-cache", "no-preload" });
        string roleText = args.Optional("role") ?? "combined";
        var role = roleText switch
        {
            "combined" => WorkerRole.Combined,
            "prefill" => WorkerRole.Prefill,
            "decode" => WorkerRole.Decode,
            "router" => WorkerRole.Router,
            _ => throw new UsageException($"--role must be combined, prefill, decode or router, not '{roleText}'"),
        };
        string policyText = args.Optional("routing-policy") ?? "cache-aware";
        var policy = policyText switch
        {
            "cache-aware" => RoutingPolicy.CacheAware,
            "least-loaded" => RoutingPolicy.LeastLoaded,
            "round-robin" => RoutingPolicy.RoundRobin,
            _ => throw new UsageException($"--routing-policy must be cache-aware, least-loaded or round-robin, not '{policyText}'"),
        };
        var prefillWorkers = args.All("prefill");
        var decodeWorkers = args.All("decode");
        if (role == WorkerRole.Router && (prefillWorkers.Count == 0 || decodeWorkers.Count == 0))
        {
            throw new UsageException("--role router needs at least one --prefill and one --decode worker address");
        }

        if (role != WorkerRole.Router && (prefillWorkers.Count > 0 || decodeWorkers.Count > 0))
        {
            throw new UsageException("--prefill and --decode name the router's workers; only --role router takes them");
        }

        var engine = new EngineOptions
        {
            KvCacheTokens = args.Number("kv-cache-tokens", 16384, 16, 1 << 26),
            MaxBatchTokens = args.Number("max-batch-tokens", 512, 1, 1 << 20),
            MaxRunningSequences = args.Number("max-running", 64, 1, 4096),
            MaxWaitingRequests = args.Number("max-queue", 256, 0, 1 << 20),
            EnablePrefixCache = !args.Flag("no-prefix-cache"),
        };
        var keys = args.All("api-key").ToList();
        string? fromEnvironment = Environment.GetEnvironmentVariable("DSV3_API_KEYS");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            keys.AddRange(fromEnvironment.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var group = Group(args);
        if (group.Size > 1 && role == WorkerRole.Router)
        {
            throw new UsageException("a router is not a rank of a group: --rank/--group-size/--peers apply to combined, prefill and decode");
        }

        var options = new ServeOptions
        {
            Group = group,
            GroupTimeout = TimeSpan.FromSeconds(args.Number("group-timeout-seconds", 600, 1, 86400)),
            // With redundant slots there is something to balance: every 5 minutes unless told otherwise.
            RebalanceInterval = TimeSpan.FromSeconds(args.Number("rebalance-seconds", group.RedundantExperts > 0 ? 300 : 0, 0, 86400)),
            ModelDirectory = args.Required("model"),
            Role = role,
            GrpcPort = args.Number("grpc-port", 50051, 0, 65535),
            PrefillWorkers = prefillWorkers,
            DecodeWorkers = decodeWorkers,
            Host = args.Optional("host") ?? "127.0.0.1",
            Port = args.Number("port", 8000, 0, 65535),
            ServedModelName = args.Optional("served-model-name"),
            ApiKeys = keys,
            Engine = engine,
            Threads = args.Optional("threads") is null ? null : args.Number("threads", 1, 1, 1024),
            Preload = !args.Flag("no-preload"),
            WeightMemory = args.WeightMemory(),
            Revision = args.Optional("revision") ?? Environment.GetEnvironmentVariable("DSV3_REVISION") ?? "",
            RoutingPolicy = policy,
            KvCacheBytes = args.Optional("kv-cache-mib") is null ? null : args.Number("kv-cache-mib", 1, 1, 1 << 24) * 1024L * 1024,
        };
        if (options.KvCacheBytes is not null && args.Optional("kv-cache-tokens") is not null)
        {
            throw new UsageException("give --kv-cache-tokens or --kv-cache-mib, not both");
        }

        args.RejectUnknown();
        if (!System.Net.IPAddress.TryParse(options.Host, out _))
        {
            throw new UsageException($"--host must be an IP address, not '{options.Host}'");
        }

        return options;
    }
}
