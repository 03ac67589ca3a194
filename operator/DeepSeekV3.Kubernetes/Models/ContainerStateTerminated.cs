using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ContainerStateTerminated.</summary>
public sealed class ContainerStateTerminated
{
    public int ExitCode { get; set; }

    public string? Reason { get; set; }

    public string? Message { get; set; }

    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? StartedAt { get; set; }

    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? FinishedAt { get; set; }
}
