namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>Where a scale subresource reads and writes (CustomResourceSubresourceScale's JSON paths).</summary>
public sealed record ScalePaths(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>A kind the server serves: its REST coordinates and which subresources it has.</summary>
public sealed record ApiKind(string Group, string Version, string Plural, string Kind, bool Namespaced, bool HasStatus, ScalePaths? Scale, string[] ShortNames)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string Key => $"{Group}/{Plural}";

    public static readonly ApiKind[] BuiltIn =
    [
        new("", "v1", "configmaps", "ConfigMap", true, false, null, ["cm"]),
        new("", "v1", "secrets", "Secret", true, false, null, []),
        new("", "v1", "services", "Service", true, true, null, ["svc"]),
        new("", "v1", "pods", "Pod", true, true, null, ["po"]),
        new("", "v1", "events", "Event", true, false, null, ["ev"]),
        new("", "v1", "namespaces", "Namespace", false, true, null, ["ns"]),
        new("apps", "v1", "statefulsets", "StatefulSet", true, true, new(".spec.replicas", ".status.replicas", null), ["sts"]),
        new("apps", "v1", "deployments", "Deployment", true, true, new(".spec.replicas", ".status.replicas", null), ["deploy"]),
        new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, true, null, ["pdb"]),
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, false, null, ["netpol"]),
        new("coordination.k8s.io", "v1", "leases", "Lease", true, false, null, []),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, true, null, ["crd"]),
    ];
}
