using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Commands;
using DeepSeekV3.Operator.Crds;

namespace DeepSeekV3.Operator.Install;

/// <summary>
/// The operator's install as plain objects — what the Helm chart renders with its default values: the CRD, a
/// ServiceAccount, the ClusterRole/Binding from <see cref="Permissions"/>, a Role/Binding for the leader Lease,
/// the operator Deployment (2 replicas with leader election) and its metrics Service.
/// </summary>
public static class InstallManifests
{
    public const string Name = "deepseek-operator";

    public static IReadOnlyList<JsonNode> Build(string @namespace, string image, int replicas = 2)
    {
        var labels = new JsonObject { ["app.kubernetes.io/name"] = Name, ["app.kubernetes.io/part-of"] = "deepseekv3-cluster" };
        JsonObject Meta(string name, bool namespaced = true)
        {
            var meta = new JsonObject { ["name"] = name, ["labels"] = labels.DeepClone() };
            if (namespaced)
            {
                meta["namespace"] = @namespace;
            }

            return meta;
        }

        var subject = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = Name, ["namespace"] = @namespace });
        return
        [
            .. CrdsCommand.EntityTypes.Select(CrdBuilder.Build),
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = Meta(Name) },
            new JsonObject { ["apiVersion"] = "rbac.authorization.k8s.io/v1", ["kind"] = "ClusterRole", ["metadata"] = Meta(Name, namespaced: false), ["rules"] = Permissions.ToJson(Permissions.ClusterRules) },
            new JsonObject
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1", ["kind"] = "ClusterRoleBinding", ["metadata"] = Meta(Name, namespaced: false),
                ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = Name },
                ["subjects"] = subject.DeepClone(),
            },
            new JsonObject { ["apiVersion"] = "rbac.authorization.k8s.io/v1", ["kind"] = "Role", ["metadata"] = Meta(Name + "-leader-election"), ["rules"] = Permissions.ToJson(Permissions.LeaseRules) },
            new JsonObject
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1", ["kind"] = "RoleBinding", ["metadata"] = Meta(Name + "-leader-election"),
                ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "Role", ["name"] = Name + "-leader-election" },
                ["subjects"] = subject.DeepClone(),
            },
            OperatorDeployment(Meta(Name), labels, @namespace, image, replicas),
            new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = Meta(Name + "-metrics"),
                ["spec"] = new JsonObject
                {
                    ["selector"] = new JsonObject { ["app.kubernetes.io/name"] = Name },
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = "metrics", ["port"] = 8080, ["targetPort"] = "metrics" }),
                },
            },
        ];
    }

    private static JsonObject OperatorDeployment(JsonObject metadata, JsonObject labels, string @namespace, string image, int replicas)
    {
        JsonObject FieldEnv(string name, string path) => new()
        {
            ["name"] = name,
            ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["fieldPath"] = path } },
        };
        JsonObject HttpProbe(string path) => new() { ["httpGet"] = new JsonObject { ["path"] = path, ["port"] = "metrics" }, ["periodSeconds"] = 10 };
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = Name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                    ["spec"] = new JsonObject
                    {
                        ["serviceAccountName"] = Name,
                        ["securityContext"] = new JsonObject { ["runAsNonRoot"] = true, ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } },
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "operator",
                            ["image"] = image,
                            ["args"] = new JsonArray("run", "--leader-elect", "--lease-namespace", @namespace, "--metrics-port", "8080"),
                            ["env"] = new JsonArray(FieldEnv("POD_NAME", "metadata.name"), FieldEnv("POD_NAMESPACE", "metadata.namespace")),
                            ["ports"] = new JsonArray(new JsonObject { ["name"] = "metrics", ["containerPort"] = 8080 }),
                            ["livenessProbe"] = HttpProbe("/healthz"),
                            ["readinessProbe"] = HttpProbe("/readyz"),
                            ["resources"] = new JsonObject
                            {
                                ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" },
                                ["limits"] = new JsonObject { ["memory"] = "512Mi" },
                            },
                            ["securityContext"] = new JsonObject
                            {
                                ["allowPrivilegeEscalation"] = false,
                                ["readOnlyRootFilesystem"] = true,
                                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                            },
                        }),
                    },
                },
            },
        };
    }
}
