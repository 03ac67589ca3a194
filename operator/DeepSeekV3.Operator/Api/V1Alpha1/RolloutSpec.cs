using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Rollout of spec changes, one group at a time by default, and recovery of failed groups.")]
public sealed class RolloutSpec
{
    [Default("1")]
    [Minimum(1)]
    [Maximum(1024)]
    [Description("Groups of a pool that may be down for an update at once. Groups are replaced in place (no surge groups: a group of GPU nodes is rarely spare), so at least 1.")]
    public int MaxUnavailable { get; set; } = 1;

    [Default("5")]
    [Minimum(1)]
    [Maximum(100)]
    [Description("Whole-group restarts allowed per group (with exponential backoff from 30 s to 10 min) before the pool is marked Degraded.")]
    public int GroupRestartLimit { get; set; } = 5;
}
