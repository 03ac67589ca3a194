using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Desired;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// The decisions for one pool's groups, as a pure function of desired and observed state and the time:
/// <list type="bullet">
/// <item>missing groups are created; groups above the count are drained, then deleted after the drain period;</item>
/// <item>out-of-date groups are replaced whole, never mixing revisions: a group that is not ready anyway at once,
/// ready ones only while fewer than maxUnavailable groups of the pool are down — counting each ready surge group
/// (up to maxSurge extra groups of the new revision, run above replicas while the update lasts) as one more up;</item>
/// <item>a started group that lost a rank is restarted whole, after a backoff of 30 s doubling to 10 min, at most
/// groupRestartLimit times; a group stable for 10 minutes has its restarts forgiven.</item>
/// </list>
/// </summary>
public static class GroupPlanner
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(10);

    public static PoolPlan Plan(
        PoolRole role, IReadOnlyList<StatefulSet> desired, IReadOnlyList<GroupObservation> observed, RolloutSpec rollout,
        DateTimeOffset now, TimeSpan drainPeriod, IReadOnlyList<StatefulSet>? surge = null)
    {
        var actions = new List<GroupAction>();
        var failing = new List<string>();
        var givenUp = new List<string>();
        TimeSpan? requeue = null;
        void RequeueIn(TimeSpan delay) => requeue = requeue is { } r && r < delay ? r : delay;

        var byIndex = observed.GroupBy(o => o.Index).ToDictionary(g => g.Key, g => g.First());
        int unavailable = Enumerable.Range(0, desired.Count).Count(i => !byIndex.TryGetValue(i, out var o) || !o.AllReady);
        var readyOutdated = new List<(StatefulSet Desired, GroupObservation Current)>();

        // Surge: while groups in range are out of date, up to maxSurge extra groups of the new revision run above them.
        // New surge groups only while groups are out of date; existing ones stay until every group is updated and ready.
        int outdated = Enumerable.Range(0, desired.Count).Count(i => byIndex.TryGetValue(i, out var o) && o.Hash != DesiredState.HashOf(desired[i]));
        int unsettled = Enumerable.Range(0, desired.Count).Count(i => !byIndex.TryGetValue(i, out var o) || !o.AllReady || o.Hash != DesiredState.HashOf(desired[i]));
        int surgeRunning = Enumerable.Range(0, surge?.Count ?? 0)
            .TakeWhile(slot => byIndex.TryGetValue(desired.Count + slot, out var o) && o.Hash == DesiredState.HashOf(surge![slot])).Count();
        int surgeSlots = Math.Min(Math.Min(rollout.MaxSurge, surge?.Count ?? 0), outdated > 0 ? outdated : unsettled > 0 ? surgeRunning : 0);
        for (int slot = 0; slot < surgeSlots; slot++)
        {
            var want = surge![slot];
            if (!byIndex.TryGetValue(desired.Count + slot, out var group))
            {
                actions.Add(new CreateGroup(want));
            }
            else if (group.Hash != DesiredState.HashOf(want))
            {
                actions.Add(new ReplaceGroup(want, group)); // a leftover group in a surge slot: make it a surge group
            }
            else
            {
                if (group.DrainingSince is not null)
                {
                    actions.Add(new UndrainGroup(group));
                }

                unavailable -= group.AllReady ? 1 : 0;
            }
        }

        for (int index = 0; index < desired.Count; index++)
        {
            var want = desired[index];
            if (!byIndex.TryGetValue(index, out var group))
            {
                actions.Add(new CreateGroup(want));
                continue;
            }

            if (group.DrainingSince is not null)
            {
                actions.Add(new UndrainGroup(group));
            }

            if (group.Hash != DesiredState.HashOf(want))
            {
                if (group.AllReady)
                {
                    readyOutdated.Add((want, group));
                }
                else
                {
                    actions.Add(new ReplaceGroup(want, group)); // down already: replacing costs no availability
                }

                continue;
            }

            if (group.FailureReason() is { } why)
            {
                string name = group.Set.Metadata.Name ?? "";
                if (group.Restarts >= rollout.GroupRestartLimit)
                {
                    givenUp.Add($"{name}: {why}; restarted {group.Restarts} times, the limit (spec.rollout.groupRestartLimit)");
                    continue;
                }

                var wait = Backoff(group.Restarts) - (now - (group.LastRestart ?? DateTimeOffset.MinValue));
                if (wait > TimeSpan.Zero)
                {
                    failing.Add($"{name}: {why}; restart {group.Restarts + 1} in {wait.TotalSeconds:F0} s");
                    RequeueIn(wait);
                }
                else
                {
                    failing.Add($"{name}: {why}; restarting the whole group (restart {group.Restarts + 1} of at most {rollout.GroupRestartLimit})");
                    actions.Add(new RestartGroup(group, group.Restarts + 1, why));
                }

                continue;
            }

            if (group.AllReady && group.StartedAt is null)
            {
                actions.Add(new MarkGroupStarted(group, ResetRestarts: false));
            }
            else if (group.StartedAt is { } started && group.Restarts > 0)
            {
                if (now - started >= StableAfter)
                {
                    actions.Add(new MarkGroupStarted(group, ResetRestarts: true));
                }
                else
                {
                    RequeueIn(StableAfter - (now - started));
                }
            }
        }

        int budget = rollout.MaxUnavailable - unavailable;
        foreach (var (want, group) in readyOutdated.OrderBy(g => g.Current.Index).Take(Math.Max(0, budget)))
        {
            actions.Add(new ReplaceGroup(want, group));
        }

        int draining = 0;
        foreach (var group in observed.Where(o => o.Index >= desired.Count + surgeSlots || o.Index < 0).OrderBy(o => o.Index))
        {
            draining++;
            if (group.DrainingSince is not { } since)
            {
                actions.Add(new DrainGroup(group));
                RequeueIn(drainPeriod);
            }
            else if (now - since >= drainPeriod)
            {
                actions.Add(new DeleteGroup(group));
            }
            else
            {
                RequeueIn(drainPeriod - (now - since));
            }
        }

        var current = Enumerable.Range(0, desired.Count).Where(byIndex.ContainsKey).Select(i => (Group: byIndex[i], Want: desired[i])).ToList();
        return new PoolPlan(
            role,
            actions,
            Desired: desired.Count,
            Existing: current.Count,
            Ready: current.Count(c => c.Group.AllReady),
            Updated: current.Count(c => c.Group.Hash == DesiredState.HashOf(c.Want)),
            Draining: draining,
            failing,
            givenUp,
            requeue);
    }

    /// <summary>The wait before restart number restarts + 1: none for the first, then 30 s doubling, capped at 10 min.</summary>
    public static TimeSpan Backoff(int restarts) =>
        restarts == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, FirstBackoff.TotalSeconds * Math.Pow(2, restarts - 1)));
}
