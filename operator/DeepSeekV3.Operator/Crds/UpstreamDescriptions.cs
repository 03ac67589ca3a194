namespace DeepSeekV3.Operator.Crds;

/// <summary>
/// Descriptions of Kubernetes' own fields that appear in our schema (TypeMeta, metav1.Condition, core/v1
/// Toleration), worded after the upstream API reference, so every field of the CRD has one for `kubectl explain`.
/// </summary>
public static class UpstreamDescriptions
{
    private static readonly Dictionary<string, string> s_byTypeAndProperty = new(StringComparer.Ordinal)
    {
        ["KubernetesObject.ApiVersion"] = "APIVersion defines the versioned schema of this representation of an object.",
        ["KubernetesObject.Kind"] = "Kind is a string value representing the REST resource this object represents.",
        ["KubernetesObject.Metadata"] = "Standard object's metadata.",
        ["Condition.Type"] = "Type of condition in CamelCase.",
        ["Condition.Status"] = "Status of the condition: True, False or Unknown.",
        ["Condition.ObservedGeneration"] = "The .metadata.generation the condition was set from.",
        ["Condition.LastTransitionTime"] = "Last time the condition changed from one status to another.",
        ["Condition.Reason"] = "Programmatic identifier of the reason for the condition's last transition, in CamelCase.",
        ["Condition.Message"] = "Human-readable message with details about the transition.",
        ["Toleration.Key"] = "Taint key the toleration applies to; empty matches all keys.",
        ["Toleration.Operator"] = "Exists or Equal (default): the relation of the key to the value.",
        ["Toleration.Value"] = "Taint value the toleration matches with Equal.",
        ["Toleration.Effect"] = "Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.",
        ["Toleration.TolerationSeconds"] = "How long a NoExecute taint is tolerated before eviction.",
    };

    public static string? For(Type declaringType, string property) =>
        s_byTypeAndProperty.GetValueOrDefault($"{declaringType.Name}.{property}");
}
