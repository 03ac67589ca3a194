using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Operator.Controller;

/// <summary>One change the planner decided for a group; the reconciler carries it out against the API server.</summary>
public abstract record GroupAction;

/// <summary>A group that should exist and does not (first creation or scale-up).</summary>
public sealed record CreateGroup(StatefulSet Desired) : GroupAction;

/// <summary>An out-of-date group: write the new StatefulSet, then delete all its pods so every rank restarts on it together.</summary>
public sealed record ReplaceGroup(StatefulSet Desired, GroupObservation Current) : GroupAction;

/// <summary>A started group that lost a rank: delete all its pods (the StatefulSet recreates them) and count the restart.</summary>
public sealed record RestartGroup(GroupObservation Current, int Restarts, string Why) : GroupAction;

/// <summary>Every rank is ready at once: remember when (failures count from then), optionally forgiving old restarts.</summary>
public sealed record MarkGroupStarted(GroupObservation Current, bool ResetRestarts) : GroupAction;

/// <summary>A group above the desired count: take it out of the serving Service so it gets no new work.</summary>
public sealed record DrainGroup(GroupObservation Current) : GroupAction;

/// <summary>A draining group that is wanted again (scaled back up): serve again.</summary>
public sealed record UndrainGroup(GroupObservation Current) : GroupAction;

/// <summary>A drained group: delete its StatefulSet; its pods get SIGTERM and finish in-flight requests.</summary>
public sealed record DeleteGroup(GroupObservation Current) : GroupAction;
