using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// Sets status conditions the metav1.Condition way (api-conventions.md "Typical status properties"):
/// lastTransitionTime changes only when the status flips, reason and message may change any time, and each
/// condition carries the generation it was computed from.
/// </summary>
public static class ConditionSet
{
    public const string Available = "Available";
    public const string Progressing = "Progressing";
    public const string UpdateInProgress = "UpdateInProgress";
    public const string Degraded = "Degraded";
    public const string SpecValid = "SpecValid";

    public static List<Condition> Merge(IReadOnlyList<Condition>? existing, IEnumerable<Condition> wanted, DateTimeOffset now, long? generation)
    {
        var result = new List<Condition>();
        foreach (var condition in wanted)
        {
            var before = existing?.FirstOrDefault(c => c.Type == condition.Type);
            condition.ObservedGeneration = generation;
            condition.LastTransitionTime = before is not null && before.Status == condition.Status ? before.LastTransitionTime : now;
            result.Add(condition);
        }

        // Conditions this operator does not set (added by other tools) are kept as they are.
        result.AddRange(existing?.Where(c => result.All(r => r.Type != c.Type)) ?? []);
        return result;
    }

    public static Condition Make(string type, bool status, string reason, string message) => new()
    {
        Type = type,
        Status = status ? ConditionStatus.True : ConditionStatus.False,
        Reason = reason,
        Message = message,
    };
}
