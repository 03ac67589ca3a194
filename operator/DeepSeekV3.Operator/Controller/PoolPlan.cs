using DeepSeekV3.Operator.Desired;

namespace DeepSeekV3.Operator.Controller;

/// <summary>What the planner decided for one pool and what it saw, for the actions and the status.</summary>
public sealed record PoolPlan(
    PoolRole Role,
    IReadOnlyList<GroupAction> Actions,
    int Desired,
    int Existing,
    int Ready,
    int Updated,
    int Draining,
    IReadOnlyList<string> Failing,
    IReadOnlyList<string> GivenUp,
    TimeSpan? RequeueAfter)
{
    public bool RollingOut => Updated < Desired;
}
