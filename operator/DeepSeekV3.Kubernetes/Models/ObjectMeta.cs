using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSeekV3.Kubernetes.Models;

/// <summary>metav1.ObjectMeta: the fields a controller reads and writes.</summary>
public sealed class ObjectMeta
{
    public string? Name { get; set; }

    public string? GenerateName { get; set; }

    public string? Namespace { get; set; }

    public string? Uid { get; set; }

    /// <summary>Opaque to clients (api-conventions.md "Concurrency Control and Consistency"): compare for equality only.</summary>
    public string? ResourceVersion { get; set; }

    /// <summary>Bumped by the API server on every spec change; status reports the generation it has acted on.</summary>
    public long? Generation { get; set; }

    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? CreationTimestamp { get; set; }

    /// <summary>Set when deletion was requested and finalizers still hold the object.</summary>
    [JsonConverter(typeof(KubernetesTimeConverter))]
    public DateTimeOffset? DeletionTimestamp { get; set; }

    public long? DeletionGracePeriodSeconds { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    public Dictionary<string, string>? Annotations { get; set; }

    public List<OwnerReference>? OwnerReferences { get; set; }

    public List<string>? Finalizers { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
