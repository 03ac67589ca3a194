using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// metav1.Condition (api-conventions.md "Typical status properties"): Status is "True", "False" or
/// "Unknown"; Reason is a CamelCase machine-readable word; LastTransitionTime changes only when Status does.
/// </summary>
public sealed class Condition
{
    public string Type { get; set; } = "";

    public string Status { get; set; } = ConditionStatus.Unknown;

    public long? ObservedGeneration { get; set; }

    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? LastTransitionTime { get; set; }

    public string Reason { get; set; } = "";

    public string Message { get; set; } = "";
}
