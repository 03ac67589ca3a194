namespace DeepSeekV3.Operator.Controller;

/// <summary>The result of a reconcile: when to look again (null: on the next change only) and how many group actions it took.</summary>
public sealed record ReconcileOutcome(TimeSpan? RequeueAfter, int GroupActions, bool Invalid = false)
{
    public static readonly ReconcileOutcome Done = new(null, 0);

    public static readonly ReconcileOutcome InvalidSpec = new(null, 0, Invalid: true);
}
