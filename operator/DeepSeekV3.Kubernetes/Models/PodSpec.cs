using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 PodSpec: the fields the operator sets; the rest survive in ExtensionData.</summary>
public sealed class PodSpec
{
    public List<Container> Containers { get; set; } = [];

    public List<Container>? InitContainers { get; set; }

    public List<Volume>? Volumes { get; set; }

    public Dictionary<string, string>? NodeSelector { get; set; }

    public List<Toleration>? Tolerations { get; set; }

    /// <summary>Passed through from the user unchanged.</summary>
    public JsonElement? Affinity { get; set; }

    public string? PriorityClassName { get; set; }

    public string? SchedulerName { get; set; }

    public string? ServiceAccountName { get; set; }

    public long? TerminationGracePeriodSeconds { get; set; }

    public string? Hostname { get; set; }

    public string? Subdomain { get; set; }

    public string? RestartPolicy { get; set; }

    public List<LocalObjectReference>? ImagePullSecrets { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
