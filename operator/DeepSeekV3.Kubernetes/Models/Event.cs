using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Event: what a controller tells users about an object (kubectl describe shows them).</summary>
public sealed class Event : KubernetesObject
{
    public ObjectReference InvolvedObject { get; set; } = new();

    /// <summary>A constant CamelCase word.</summary>
    public string? Reason { get; set; }

    public string? Message { get; set; }

    /// <summary>"Normal" or "Warning".</summary>
    public string? Type { get; set; }

    public int? Count { get; set; }

    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? FirstTimestamp { get; set; }

    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? LastTimestamp { get; set; }

    [JsonConverter(typeof(KubernetesMicroTimeConverter))]
    public DateTimeOffset? EventTime { get; set; }

    public EventSource? Source { get; set; }

    public string? ReportingComponent { get; set; }

    public string? ReportingInstance { get; set; }

    public string? Action { get; set; }
}
