using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Container.</summary>
public sealed class Container
{
    public string Name { get; set; } = "";

    public string? Image { get; set; }

    public string? ImagePullPolicy { get; set; }

    public List<string>? Command { get; set; }

    public List<string>? Args { get; set; }

    public List<EnvVar>? Env { get; set; }

    public List<EnvFromSource>? EnvFrom { get; set; }

    public List<ContainerPort>? Ports { get; set; }

    public ResourceRequirements? Resources { get; set; }

    public List<VolumeMount>? VolumeMounts { get; set; }

    public Probe? StartupProbe { get; set; }

    public Probe? ReadinessProbe { get; set; }

    public Probe? LivenessProbe { get; set; }

    /// <summary>preStop hooks, passed through.</summary>
    public JsonElement? Lifecycle { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
