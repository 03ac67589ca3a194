using System.Text.Json.Serialization;
using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Kubernetes;

/// <summary>
/// Source-generated JSON for every model type. Kubernetes JSON is camelCase and omits unset fields
/// (api-conventions.md "Optional vs. Required": optional fields are omitempty).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Status))]
[JsonSerializable(typeof(ConfigMap))]
[JsonSerializable(typeof(KubernetesList<ConfigMap>))]
[JsonSerializable(typeof(Secret))]
[JsonSerializable(typeof(KubernetesList<Secret>))]
[JsonSerializable(typeof(Service))]
[JsonSerializable(typeof(KubernetesList<Service>))]
[JsonSerializable(typeof(Pod))]
[JsonSerializable(typeof(KubernetesList<Pod>))]
[JsonSerializable(typeof(Event))]
[JsonSerializable(typeof(KubernetesList<Event>))]
[JsonSerializable(typeof(StatefulSet))]
[JsonSerializable(typeof(KubernetesList<StatefulSet>))]
[JsonSerializable(typeof(Deployment))]
[JsonSerializable(typeof(KubernetesList<Deployment>))]
[JsonSerializable(typeof(PodDisruptionBudget))]
[JsonSerializable(typeof(KubernetesList<PodDisruptionBudget>))]
[JsonSerializable(typeof(NetworkPolicy))]
[JsonSerializable(typeof(KubernetesList<NetworkPolicy>))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(KubernetesList<Lease>))]
[JsonSerializable(typeof(Scale))]
public sealed partial class KubernetesJsonContext : JsonSerializerContext;
