namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>
/// Names a custom resource type: the CRD's group, version, kind, plural, short names, categories and scope.
/// The `crds` command reads it (and the other attributes here) to write crds/*.yaml; nothing reads it at run time.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class KubernetesEntityAttribute(string group, string version, string kind, string plural) : Attribute
{
    public string Group { get; } = group;

    public string Version { get; } = version;

    public string Kind { get; } = kind;

    public string Plural { get; } = plural;

    public string[] ShortNames { get; init; } = [];

    public string[] Categories { get; init; } = [];

    public bool Namespaced { get; init; } = true;

    /// <summary>The CRD has a /status subresource: status is written only through it, and spec changes bump metadata.generation.</summary>
    public bool StatusSubresource { get; init; } = true;
}
