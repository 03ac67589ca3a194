using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>
/// The discovery documents kubectl reads before it talks to a resource (APIVersions at /api, APIGroupList at /apis,
/// APIResourceList per group version), listing the scale and status subresources so `kubectl scale` works.
/// </summary>
public static class Discovery
{
    public static JsonObject CoreVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
    };

    public static JsonObject Groups(IEnumerable<ApiKind> kinds) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray([.. kinds.Where(k => k.Group.Length > 0).GroupBy(k => k.Group).Select(g =>
        {
            string version = g.First().Version;
            return (JsonNode)new JsonObject
            {
                ["name"] = g.Key,
                ["versions"] = new JsonArray(new JsonObject { ["groupVersion"] = $"{g.Key}/{version}", ["version"] = version }),
                ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{g.Key}/{version}", ["version"] = version },
            };
        })]),
    };

    public static JsonObject Resources(string group, string version, IEnumerable<ApiKind> kinds)
    {
        var resources = new JsonArray();
        foreach (var kind in kinds.Where(k => k.Group == group && k.Version == version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = kind.Plural,
                ["singularName"] = kind.Kind.ToLowerInvariant(),
                ["namespaced"] = kind.Namespaced,
                ["kind"] = kind.Kind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
                ["shortNames"] = new JsonArray([.. kind.ShortNames.Select(s => (JsonNode)JsonValue.Create(s))]),
            });
            if (kind.HasStatus)
            {
                resources.Add(new JsonObject { ["name"] = kind.Plural + "/status", ["singularName"] = "", ["namespaced"] = kind.Namespaced, ["kind"] = kind.Kind, ["verbs"] = new JsonArray("get", "patch", "update") });
            }

            if (kind.Scale is not null)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = kind.Plural + "/scale", ["singularName"] = "", ["namespaced"] = kind.Namespaced, ["group"] = "autoscaling", ["version"] = "v1",
                    ["kind"] = "Scale", ["verbs"] = new JsonArray("get", "patch", "update"),
                });
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
