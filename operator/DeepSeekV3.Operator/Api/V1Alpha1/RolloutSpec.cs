using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Rollout of spec changes, one group at a time by default, and recovery of failed groups.")]
[ValidationRule("self.maxUnavailable + self.maxSurge >= 1", "maxUnavailable + maxSurge must be at least 1, or a rollout could never progress")]
public sealed class RolloutSpec
{
    [Default("1")]
    [Minimum(0)]
    [Maximum(1024)]
    [Description("Groups of a pool that may be down for an update at once (groups are replaced whole).")]
    public int MaxUnavailable { get; set; } = 1;

    [Default("0")]
    [Minimum(0)]
    [Maximum(1024)]
    [Description("Extra groups of the new revision a pool may run during an update, above replicas; each ready one lets another old group be replaced while capacity holds. Costs a group's GPUs while the update runs.")]
    public int MaxSurge { get; set; }

    [Default("5")]
    [Minimum(1)]
    [Maximum(100)]
    [Description("Whole-group restarts allowed per group (with exponential backoff from 30 s to 10 min) before the pool is marked Degraded.")]
    public int GroupRestartLimit { get; set; } = 5;
}
