using System.Globalization;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Desired;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// What the cluster shows of one group: its StatefulSet and the pods it owns now, with the facts the planner acts
/// on. Only pods owned by this StatefulSet's uid count, so pods of an earlier incarnation being deleted do not.
/// </summary>
public sealed record GroupObservation(StatefulSet Set, IReadOnlyList<Pod> Pods)
{
    public int Index => int.Parse(Set.Metadata.Labels?.GetValueOrDefault(Labels.Group) ?? "-1", CultureInfo.InvariantCulture);

    public int Ranks => Set.Spec?.Replicas ?? 0;

    public string? Hash => DesiredState.HashOf(Set);

    public string Revision => WorkerGroupBuilder.RevisionOf(Set);

    /// <summary>
    /// The pods of the group minus those the operator deleted at its last restart or replacement: the informer cache
    /// can still show them, and counting them would call a restarting group ready (and start the next group's
    /// replacement too early, or mark a start that never happened). Matched by uid, which a recreated pod never shares.
    /// </summary>
    public IReadOnlyList<Pod> CurrentPods
    {
        get
        {
            var retired = Set.Metadata.Annotations?.GetValueOrDefault(Labels.RetiredPods)?.Split(',') ?? [];
            return retired.Length == 0 ? Pods : [.. Pods.Where(p => !retired.Contains(p.Metadata.Uid))];
        }
    }

    /// <summary>Every rank has a current pod that is Ready and not being deleted.</summary>
    public bool AllReady =>
        CurrentPods.Count(p => p.Metadata.DeletionTimestamp is null && IsReady(p)) == Ranks && Ranks > 0;

    public DateTimeOffset? StartedAt => Time(Labels.StartedAt);

    public DateTimeOffset? DrainingSince => Time(Labels.DrainingSince);

    public DateTimeOffset? LastRestart => Time(Labels.LastRestart);

    public int Restarts => int.TryParse(Set.Metadata.Annotations?.GetValueOrDefault(Labels.Restarts), CultureInfo.InvariantCulture, out int n) ? n : 0;

    /// <summary>
    /// Why the group must be restarted whole, or null. Only a group that was complete once (every rank ready at the
    /// same time) can fail: before that, ranks pulling images or loading weights are starting, not failing. After
    /// it, a rank that crashed (container restarts), failed, is being deleted, or was recreated means the others
    /// are talking to a peer that lost its state.
    /// </summary>
    public string? FailureReason()
    {
        if (StartedAt is not { } startedPrecisely)
        {
            return null;
        }

        // Pod timestamps have whole seconds (metav1.Time); compare them with the start's second.
        var started = startedPrecisely.AddTicks(-(startedPrecisely.UtcTicks % TimeSpan.TicksPerSecond));

        var current = CurrentPods;
        foreach (var pod in current.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal))
        {
            string name = pod.Metadata.Name ?? "";
            // A crash before the group started (a rank that failed to load once) is not a failure of the
            // started group: only terminations that finished after the start count; without a finish time, any.
            int restarts = pod.Status?.ContainerStatuses?
                .Where(c => c.LastState?.Terminated?.FinishedAt is not { } finished || finished >= started) // whole seconds: same second counts
                .Sum(c => c.RestartCount) ?? 0;
            if (pod.Status?.Phase == "Failed")
            {
                return $"pod {name} failed ({pod.Status.Reason ?? "no reason given"})";
            }

            if (restarts > 0)
            {
                return $"pod {name} restarted {restarts} time(s){LastTermination(pod)}";
            }

            if (pod.Metadata.DeletionTimestamp is not null)
            {
                return $"pod {name} is being deleted";
            }

            if (pod.Metadata.CreationTimestamp > started)
            {
                return $"pod {name} was recreated after the group started";
            }
        }

        return current.Count < Ranks ? $"{Ranks - current.Count} of {Ranks} ranks have no pod" : null;
    }

    public static bool IsReady(Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == ConditionStatus.True) == true;

    private static string LastTermination(Pod pod) =>
        pod.Status?.ContainerStatuses?.Select(c => c.LastState?.Terminated).FirstOrDefault(t => t is not null) is { } terminated
            ? $", last exit code {terminated.ExitCode} ({terminated.Reason ?? "no reason"})"
            : "";

    private DateTimeOffset? Time(string annotation) =>
        Set.Metadata.Annotations?.GetValueOrDefault(annotation) is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}
