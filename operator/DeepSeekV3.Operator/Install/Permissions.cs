using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Install;

/// <summary>
/// The one list of what the operator may do in the API, least privilege: the verbs its client calls on the kinds it
/// reads and writes. The ClusterRole of `manifests` and the chart's files/rbac-rules.yaml are generated from it (a
/// test fails when the chart's copy drifts). Leases get their own Role in the operator's namespace.
/// </summary>
public static class Permissions
{
    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Manage = ["get", "list", "watch", "create", "update", "patch", "delete"];

    public static IReadOnlyList<(string Group, string[] Resources, string[] Verbs)> ClusterRules =>
    [
        (DeepSeekDeployment.Group, [DeepSeekDeployment.Plural], [.. Read, "update", "patch"]),
        (DeepSeekDeployment.Group, [DeepSeekDeployment.Plural + "/status"], ["get", "update", "patch"]),
        ("apps", ["statefulsets", "deployments"], Manage),
        ("", ["services", "configmaps"], Manage),
        ("", ["pods"], [.. Read, "patch", "delete"]),          // drain labels, whole-group restarts
        ("policy", ["poddisruptionbudgets"], Manage),
        ("networking.k8s.io", ["networkpolicies"], Manage),
        ("", ["events"], ["create", "patch"]),
    ];

    public static IReadOnlyList<(string Group, string[] Resources, string[] Verbs)> LeaseRules =>
    [
        ("coordination.k8s.io", ["leases"], ["get", "create", "update"]),
    ];

    public static JsonArray ToJson(IReadOnlyList<(string Group, string[] Resources, string[] Verbs)> rules) =>
        [.. rules.Select(r => (JsonNode)new JsonObject
        {
            ["apiGroups"] = new JsonArray(JsonValue.Create(r.Group)),
            ["resources"] = new JsonArray([.. r.Resources.Select(s => (JsonNode)JsonValue.Create(s))]),
            ["verbs"] = new JsonArray([.. r.Verbs.Select(v => (JsonNode)JsonValue.Create(v))]),
        })];
}
