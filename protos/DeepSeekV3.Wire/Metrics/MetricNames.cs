namespace DeepSeekV3.Wire.Metrics;

/// <summary>
/// The metric catalogue: every name the system exports, in Prometheus conventions (dsv3_ prefix, base units in the
/// name, _total counters, _seconds histograms). Labels are bounded by design: endpoint, status code, role, method,
/// result, phase and expert id (at most n_routed_experts values) — never request ids, prompts or users. The README
/// lists each with its type, labels and buckets.
/// </summary>
public static class MetricNames
{
    // Serving (worker and router)
    public const string Requests = "dsv3_requests_total";                          // counter {endpoint, status}
    public const string TimeToFirstToken = "dsv3_time_to_first_token_seconds";      // histogram
    public const string InterTokenLatency = "dsv3_inter_token_latency_seconds";    // histogram
    public const string RequestDuration = "dsv3_request_duration_seconds";          // histogram {finish_reason}
    public const string QueueTime = "dsv3_queue_time_seconds";                      // histogram
    public const string PromptTokens = "dsv3_prompt_tokens_total";                 // counter
    public const string GenerationTokens = "dsv3_generation_tokens_total";         // counter
    public const string PromptCacheHitTokens = "dsv3_prompt_cache_hit_tokens_total";   // counter
    public const string PromptCacheMissTokens = "dsv3_prompt_cache_miss_tokens_total"; // counter
    public const string RunningRequests = "dsv3_running_requests";                  // gauge
    public const string WaitingRequests = "dsv3_waiting_requests";                  // gauge
    public const string KvCacheUsage = "dsv3_kv_cache_usage_ratio";                 // gauge, 0..1
    public const string KvCacheBlocks = "dsv3_kv_cache_blocks";                     // gauge {state: free|used}
    public const string BatchTokens = "dsv3_batch_tokens";                          // histogram, tokens per engine step
    public const string Preemptions = "dsv3_preemptions_total";                    // counter

    // Disaggregation and expert parallelism
    public const string KvTransferBytes = "dsv3_kv_transfer_bytes_total";          // counter {direction}
    public const string KvTransferDuration = "dsv3_kv_transfer_duration_seconds";   // histogram
    public const string ExpertTokens = "dsv3_expert_tokens_total";                 // counter {expert}
    public const string ExpertDispatchDuration = "dsv3_expert_dispatch_duration_seconds"; // histogram

    // gRPC and the router
    public const string GrpcCalls = "dsv3_grpc_calls_total";                       // counter {method, status}
    public const string GrpcCallDuration = "dsv3_grpc_call_duration_seconds";       // histogram {method}
    public const string RouterChoices = "dsv3_router_choices_total";               // counter {role, reason}
    public const string RouterRetries = "dsv3_router_retries_total";               // counter
    public const string RouterFailovers = "dsv3_router_failovers_total";           // counter

    // The operator
    public const string Reconciles = "dsv3_operator_reconciles_total";             // counter {result}
    public const string ReconcileDuration = "dsv3_operator_reconcile_duration_seconds"; // histogram
    public const string WorkQueueDepth = "dsv3_operator_workqueue_depth";           // gauge
    public const string Leader = "dsv3_operator_leader";                            // gauge 0|1
    public const string DeploymentsByPhase = "dsv3_operator_deployments";           // gauge {phase}

    /// <summary>Latency buckets (seconds) from 1 ms to 60 s: token latencies on CPU and GPU, request durations.</summary>
    public static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Tokens per engine step: powers of two up to the largest budgets.</summary>
    public static readonly double[] BatchTokenBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
}
