namespace DeepSeekV3.Kubernetes;

/// <summary>
/// Where a kind lives in the REST API: /api/v1 for the core group, /apis/{group}/{version} otherwise,
/// then /namespaces/{ns}/{plural} when namespaced (api-concepts.md "Resource URIs").
/// </summary>
public sealed record ResourceKind(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    public static readonly ResourceKind ConfigMaps = new("", "v1", "configmaps", "ConfigMap", Namespaced: true);
    public static readonly ResourceKind Secrets = new("", "v1", "secrets", "Secret", Namespaced: true);
    public static readonly ResourceKind Services = new("", "v1", "services", "Service", Namespaced: true);
    public static readonly ResourceKind Pods = new("", "v1", "pods", "Pod", Namespaced: true);
    public static readonly ResourceKind Events = new("", "v1", "events", "Event", Namespaced: true);
    public static readonly ResourceKind StatefulSets = new("apps", "v1", "statefulsets", "StatefulSet", Namespaced: true);
    public static readonly ResourceKind Deployments = new("apps", "v1", "deployments", "Deployment", Namespaced: true);
    public static readonly ResourceKind PodDisruptionBudgets = new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", Namespaced: true);
    public static readonly ResourceKind NetworkPolicies = new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", Namespaced: true);
    public static readonly ResourceKind Leases = new("coordination.k8s.io", "v1", "leases", "Lease", Namespaced: true);

    /// <summary>"v1" for the core group, "group/version" otherwise — the apiVersion field of objects of this kind.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The collection path: /api/v1/namespaces/{ns}/pods, /apis/apps/v1/statefulsets (all namespaces), ...</summary>
    public string CollectionPath(string? @namespace)
    {
        var root = Group.Length == 0 ? "/api/v1" : $"/apis/{Group}/{Version}";
        return Namespaced && @namespace is not null ? $"{root}/namespaces/{@namespace}/{Plural}" : $"{root}/{Plural}";
    }

    /// <summary>The path of one object.</summary>
    public string ObjectPath(string? @namespace, string name) => $"{CollectionPath(@namespace)}/{Uri.EscapeDataString(name)}";
}
