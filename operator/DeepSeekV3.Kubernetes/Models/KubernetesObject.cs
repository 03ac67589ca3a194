using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>
/// What every persisted Kubernetes object has: TypeMeta (apiVersion, kind) and ObjectMeta
/// (api-conventions.md "Types (Kinds)"). Fields we do not model survive a read-modify-write in
/// <see cref="ExtensionData"/>, so an update never drops what another controller wrote.
/// </summary>
public abstract class KubernetesObject
{
    public string? ApiVersion { get; set; }

    public string? Kind { get; set; }

    public ObjectMeta Metadata { get; set; } = new();

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
