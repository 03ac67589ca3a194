using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Controller;
using DeepSeekV3.Operator.Desired;

namespace DeepSeekV3.Operator.Tests.Controller;

public class GroupPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    [Fact]
    public void Plan_NothingExists_CreatesEveryGroup()
    {
        var desired = Decode(Fixtures.H200(decode: 3));

        var plan = GroupPlanner.Plan(PoolRole.Decode, desired, [], new RolloutSpec(), Now, Drain);

        Assert.Equal(["v3-decode-0", "v3-decode-1", "v3-decode-2"], plan.Actions.Cast<CreateGroup>().Select(a => a.Desired.Metadata.Name));
        Assert.Equal(0, plan.Existing);
    }

    [Fact]
    public void Plan_ReadyGroupsAsDesired_DoesNothingOrMarksThemStarted()
    {
        var desired = Decode(Fixtures.H200(decode: 2));
        var observed = desired.Select(s => Observe(s, ready: true, startedAt: Now.AddMinutes(-30))).ToList();

        var plan = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now, Drain);
        var firstReady = GroupPlanner.Plan(PoolRole.Decode, desired, [.. desired.Select(s => Observe(s, ready: true))], new RolloutSpec(), Now, Drain);

        Assert.Empty(plan.Actions);
        Assert.Equal((2, 2, 2), (plan.Existing, plan.Ready, plan.Updated));
        Assert.All(firstReady.Actions, a => Assert.False(Assert.IsType<MarkGroupStarted>(a).ResetRestarts));
        Assert.Equal(2, firstReady.Actions.Count);
    }

    [Fact]
    public void Plan_ImageChange_ReplacesOneReadyGroupAtATimeWithMaxUnavailableOne()
    {
        var deployment = Fixtures.H200(decode: 3);
        var observed = Decode(deployment).Select(s => Observe(s, ready: true, startedAt: Now.AddHours(-1))).ToList();
        deployment.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";
        var desired = Decode(deployment);

        var first = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now, Drain);
        // Group 0 was replaced and is starting (new hash, pods not ready): nothing else may go down.
        observed[0] = Observe(desired[0], ready: false);
        var second = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now, Drain);
        observed[0] = Observe(desired[0], ready: true);
        var third = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now, Drain);
        var twoAtOnce = GroupPlanner.Plan(PoolRole.Decode, desired, [.. Decode(Fixtures.H200(decode: 3)).Select(s => Observe(s, ready: true))], new RolloutSpec { MaxUnavailable = 2 }, Now, Drain);

        Assert.Equal(["v3-decode-0"], first.Actions.OfType<ReplaceGroup>().Select(a => a.Current.Set.Metadata.Name));
        Assert.True(first.RollingOut);
        Assert.Empty(second.Actions.OfType<ReplaceGroup>());
        Assert.Equal(["v3-decode-1"], third.Actions.OfType<ReplaceGroup>().Select(a => a.Current.Set.Metadata.Name));
        Assert.Equal(2, twoAtOnce.Actions.OfType<ReplaceGroup>().Count());
    }

    [Fact]
    public void Plan_SurgeWithNoUnavailability_AddsANewGroupFirstThenReplacesWhileCapacityHolds()
    {
        var deployment = Fixtures.H200(decode: 2);
        var observed = Decode(deployment).Select(s => Observe(s, ready: true, startedAt: Now.AddHours(-1))).ToList();
        deployment.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";
        var rollout = new RolloutSpec { MaxUnavailable = 0, MaxSurge = 1 };
        var desired = Decode(deployment);
        var surge = DesiredState.SurgeGroups(deployment, PoolRole.Decode, 1);

        var first = GroupPlanner.Plan(PoolRole.Decode, desired, observed, rollout, Now, Drain, surge);
        var surgeStarting = Observe(surge[0], ready: false);
        var waiting = GroupPlanner.Plan(PoolRole.Decode, desired, [.. observed, surgeStarting], rollout, Now, Drain, surge);
        var surgeReady = Observe(surge[0], ready: true);
        var replacing = GroupPlanner.Plan(PoolRole.Decode, desired, [.. observed, surgeReady], rollout, Now, Drain, surge);
        var updated = desired.Select(s => Observe(s, ready: true)).ToList();
        var done = GroupPlanner.Plan(PoolRole.Decode, desired, [.. updated, surgeReady], rollout, Now, Drain, surge);

        Assert.Equal("v3-decode-2", Assert.IsType<CreateGroup>(Assert.Single(first.Actions)).Desired.Metadata.Name);
        Assert.Empty(waiting.Actions.OfType<ReplaceGroup>());                      // no capacity lost before the surge serves
        Assert.Equal(["v3-decode-0"], replacing.Actions.OfType<ReplaceGroup>().Select(a => a.Current.Set.Metadata.Name));
        Assert.Equal("v3-decode-2", Assert.IsType<DrainGroup>(Assert.Single(done.Actions, a => a is not MarkGroupStarted)).Current.Set.Metadata.Name);
        Assert.Equal((2, 0), (replacing.Existing, replacing.Draining));
    }

    [Fact]
    public void Plan_OutdatedGroupThatIsDownAnyway_IsReplacedWithoutUsingTheBudget()
    {
        var deployment = Fixtures.H200(decode: 2);
        var observed = Decode(deployment).Select(s => Observe(s, ready: false)).ToList();
        deployment.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";

        var plan = GroupPlanner.Plan(PoolRole.Decode, Decode(deployment), observed, new RolloutSpec(), Now, Drain);

        Assert.Equal(2, plan.Actions.OfType<ReplaceGroup>().Count());
    }

    [Fact]
    public void Plan_RankStillLoading_IsNotAFailure()
    {
        var desired = Decode(Fixtures.H200(decode: 1));
        var loading = Observe(desired[0], ready: false, restarts: 2); // crashed while loading, never complete

        var plan = GroupPlanner.Plan(PoolRole.Decode, desired, [loading], new RolloutSpec(), Now, Drain);

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Failing);
    }

    [Fact]
    public void Plan_StartedGroupWhoseRankCrashed_RestartsWholeGroupThenBacksOff()
    {
        var desired = Decode(Fixtures.H200(decode: 1));
        var crashed = Observe(desired[0], ready: false, startedAt: Now.AddMinutes(-5), restarts: 1);

        var first = GroupPlanner.Plan(PoolRole.Decode, desired, [crashed], new RolloutSpec(), Now, Drain);
        var again = Observe(desired[0], ready: false, startedAt: Now.AddMinutes(-1), restarts: 1, groupRestarts: 1, lastRestart: Now.AddSeconds(-10));
        var second = GroupPlanner.Plan(PoolRole.Decode, desired, [again], new RolloutSpec(), Now, Drain);
        var later = GroupPlanner.Plan(PoolRole.Decode, desired, [again], new RolloutSpec(), Now.AddSeconds(25), Drain);

        var restart = Assert.IsType<RestartGroup>(Assert.Single(first.Actions));
        Assert.Equal(1, restart.Restarts);
        Assert.Contains("restarted 1 time(s)", restart.Why, StringComparison.Ordinal);
        Assert.Empty(second.Actions);                                  // 30 s backoff after the first restart
        Assert.Equal(TimeSpan.FromSeconds(20), second.RequeueAfter);
        Assert.Equal(2, Assert.IsType<RestartGroup>(Assert.Single(later.Actions)).Restarts);
    }

    [Fact]
    public void Plan_RestartLimitReached_GivesUpAndSaysSo()
    {
        var desired = Decode(Fixtures.H200(decode: 1));
        var crashed = Observe(desired[0], ready: false, startedAt: Now.AddMinutes(-1), restarts: 3, groupRestarts: 5, lastRestart: Now.AddHours(-1));

        var plan = GroupPlanner.Plan(PoolRole.Decode, desired, [crashed], new RolloutSpec { GroupRestartLimit = 5 }, Now, Drain);

        Assert.Empty(plan.Actions);
        Assert.Contains("groupRestartLimit", Assert.Single(plan.GivenUp), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_GroupStableForTenMinutes_HasItsRestartsForgiven()
    {
        var desired = Decode(Fixtures.H200(decode: 1));
        var stable = Observe(desired[0], ready: true, startedAt: Now.AddMinutes(-11), groupRestarts: 3, lastRestart: Now.AddMinutes(-12));

        var plan = GroupPlanner.Plan(PoolRole.Decode, desired, [stable], new RolloutSpec(), Now, Drain);

        Assert.True(Assert.IsType<MarkGroupStarted>(Assert.Single(plan.Actions)).ResetRestarts);
    }

    [Fact]
    public void Plan_ScaleDown_DrainsThenDeletesAfterTheDrainPeriod()
    {
        var three = Decode(Fixtures.H200(decode: 3));
        var desired = Decode(Fixtures.H200(decode: 2));
        var observed = three.Select(s => Observe(s, ready: true, startedAt: Now.AddHours(-1))).ToList();

        var first = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now, Drain);
        observed[2] = Observe(three[2], ready: true, startedAt: Now.AddHours(-1), drainingSince: Now.AddSeconds(-10));
        var during = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now, Drain);
        var after = GroupPlanner.Plan(PoolRole.Decode, desired, observed, new RolloutSpec(), Now.AddSeconds(21), Drain);
        var scaledBackUp = GroupPlanner.Plan(PoolRole.Decode, three, observed, new RolloutSpec(), Now, Drain);

        Assert.Equal("v3-decode-2", Assert.IsType<DrainGroup>(Assert.Single(first.Actions)).Current.Set.Metadata.Name);
        Assert.Empty(during.Actions);
        Assert.Equal(TimeSpan.FromSeconds(20), during.RequeueAfter);
        Assert.IsType<DeleteGroup>(Assert.Single(after.Actions));
        Assert.IsType<UndrainGroup>(Assert.Single(scaledBackUp.Actions));
        Assert.Equal((2, 1), (first.Existing, first.Draining));
    }

    [Fact]
    public void Plan_PodsFromBeforeARestartOrReplaceStillInTheCache_DoNotCountAsReady()
    {
        var deployment = Fixtures.H200(decode: 2);
        var old = Decode(deployment);
        deployment.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";
        var desired = Decode(deployment);
        // Group 0 was just replaced and group 1 just restarted; the cache still shows their old, ready pods.
        var replaced = Observe(desired[0], ready: true, podsRetired: true);
        var restarted = Observe(old[1], ready: true, groupRestarts: 1, lastRestart: Now, podsRetired: true);

        var plan = GroupPlanner.Plan(PoolRole.Decode, desired, [replaced, restarted], new RolloutSpec(), Now, Drain);

        Assert.Equal(0, plan.Ready);
        Assert.DoesNotContain(plan.Actions, a => a is MarkGroupStarted);
        // Group 1 is out of date and down anyway: replacing it costs nothing; group 0 is not replaced again.
        Assert.Equal(["v3-decode-1"], plan.Actions.OfType<ReplaceGroup>().Select(a => a.Current.Set.Metadata.Name));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(5, 480)]
    [InlineData(6, 600)]
    [InlineData(20, 600)]
    public void Backoff_DoublesFromThirtySecondsToTenMinutes(int restarts, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), GroupPlanner.Backoff(restarts));
    }

    private static List<StatefulSet> Decode(DeepSeekDeployment deployment) =>
        [.. DesiredState.Build(deployment).Groups.Where(g => g.Metadata.Labels![Labels.Component] == "decode")];

    /// <summary>A group as the API server would show it: the StatefulSet with a uid and annotations, and its pods.</summary>
    internal static GroupObservation Observe(
        StatefulSet desired, bool ready, DateTimeOffset? startedAt = null, int restarts = 0, int groupRestarts = 0,
        DateTimeOffset? lastRestart = null, DateTimeOffset? drainingSince = null, bool podsRetired = false)
    {
        var set = new StatefulSet
        {
            Kind = desired.Kind,
            ApiVersion = desired.ApiVersion,
            Metadata = new ObjectMeta
            {
                Name = desired.Metadata.Name,
                Namespace = desired.Metadata.Namespace,
                Uid = "uid-" + desired.Metadata.Name,
                ResourceVersion = "7",
                Labels = new(desired.Metadata.Labels!),
                Annotations = new(desired.Metadata.Annotations!),
            },
            Spec = desired.Spec,
        };
        void Annotate(string key, object? value)
        {
            if (value is not null)
            {
                set.Metadata.Annotations![key] = value is DateTimeOffset time ? time.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : value.ToString()!;
            }
        }

        Annotate(Labels.StartedAt, startedAt);
        Annotate(Labels.Restarts, groupRestarts == 0 ? null : groupRestarts);
        Annotate(Labels.LastRestart, lastRestart);
        Annotate(Labels.DrainingSince, drainingSince);
        if (podsRetired)
        {
            // The operator just deleted these very pods; the cache has not caught up.
            Annotate(Labels.RetiredPods, string.Join(',', Enumerable.Range(0, desired.Spec!.Replicas ?? 1).Select(rank => $"uid-{desired.Metadata.Name}-{rank}")));
        }
        var pods = Enumerable.Range(0, desired.Spec!.Replicas ?? 1).Select(rank => new Pod
        {
            Metadata = new ObjectMeta
            {
                Name = $"{desired.Metadata.Name}-{rank}",
                Namespace = desired.Metadata.Namespace,
                Uid = $"uid-{desired.Metadata.Name}-{rank}",
                CreationTimestamp = (startedAt ?? Now).AddMinutes(-1),
                OwnerReferences = [new OwnerReference { Controller = true, Uid = set.Metadata.Uid, Kind = "StatefulSet", Name = set.Metadata.Name! }],
            },
            Status = new PodStatus
            {
                Phase = "Running",
                Conditions = [new PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
                ContainerStatuses = [new ContainerStatus { Name = "worker", Ready = ready, RestartCount = rank == 0 ? restarts : 0 }],
            },
        }).ToList();
        return new GroupObservation(set, pods);
    }
}
