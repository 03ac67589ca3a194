using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>The kinds served: the built-in ones, plus one per CustomResourceDefinition registered or created.</summary>
public sealed class KindRegistry
{
    private readonly Lock _lock = new();
    private readonly List<ApiKind> _kinds = [.. ApiKind.BuiltIn];

    public IReadOnlyList<ApiKind> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _kinds];
            }
        }
    }

    public ApiKind? Find(string group, string version, string plural)
    {
        lock (_lock)
        {
            return _kinds.FirstOrDefault(k => k.Group == group && k.Version == version && k.Plural == plural);
        }
    }

    public ApiKind Get(string plural) =>
        All.FirstOrDefault(k => k.Plural == plural) ?? throw new ArgumentException($"no kind {plural}", nameof(plural));

    public void Register(ApiKind kind)
    {
        lock (_lock)
        {
            _kinds.RemoveAll(k => k.Key == kind.Key);
            _kinds.Add(kind);
        }
    }

    /// <summary>The kind a CRD defines: its group, plural, kind, scope, storage version and subresources.</summary>
    public static ApiKind FromCrd(JsonObject crd)
    {
        var spec = crd["spec"]!;
        var version = spec["versions"]!.AsArray().First(v => (bool?)v!["storage"] == true)!;
        var subresources = version["subresources"];
        var scale = subresources?["scale"] is JsonObject s
            ? new ScalePaths((string)s["specReplicasPath"]!, (string)s["statusReplicasPath"]!, (string?)s["labelSelectorPath"])
            : null;
        return new ApiKind(
            (string)spec["group"]!, (string)version["name"]!, (string)spec["names"]!["plural"]!, (string)spec["names"]!["kind"]!,
            (string?)spec["scope"] != "Cluster", subresources?["status"] is not null, scale,
            [.. (spec["names"]!["shortNames"] as JsonArray ?? []).Select(n => (string)n!)]);
    }
}
