using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Observed state of one pool, counted in groups.")]
public sealed class PoolStatus
{
    [Description("Groups that exist.")]
    public int Replicas { get; set; }

    [Description("Groups whose every rank is ready.")]
    public int ReadyReplicas { get; set; }

    [Description("Groups running the current revision.")]
    public int UpdatedReplicas { get; set; }

    [Description("Revision (spec hash of the pod template) the pool is moving to.")]
    public string? Revision { get; set; }

    [Description("KV-cache capacity of one group, in tokens, from the capacity planner.")]
    public long KvCacheTokensPerGroup { get; set; }
}
