using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 ContainerPort.</summary>
public sealed class ContainerPort
{
    public string? Name { get; set; }

    /// <summary>The JSON field "containerPort"; a member cannot share its type's name.</summary>
    [JsonPropertyName("containerPort")]
    public int Port { get; set; }

    public string? Protocol { get; set; }
}
