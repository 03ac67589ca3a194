using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>core/v1 Volume: the sources the operator mounts.</summary>
public sealed class Volume
{
    public string Name { get; set; } = "";

    public PersistentVolumeClaimVolumeSource? PersistentVolumeClaim { get; set; }

    public HostPathVolumeSource? HostPath { get; set; }

    public EmptyDirVolumeSource? EmptyDir { get; set; }

    public ConfigMapVolumeSource? ConfigMap { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
