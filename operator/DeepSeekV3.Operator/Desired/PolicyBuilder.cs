using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>PodDisruptionBudgets and the NetworkPolicy of a deployment.</summary>
public static class PolicyBuilder
{
    /// <summary>
    /// Evicting any rank stops its whole group, so a pool tolerates one voluntarily evicted pod at a time: node
    /// drains then take down at most one group of the pool at once.
    /// </summary>
    public static PodDisruptionBudget PoolBudget(DeepSeekDeployment owner, PoolRole role) =>
        Budget(owner, Names.PoolDisruptionBudget(owner.Metadata.Name ?? "", role), Names.Pool(role));

    public static PodDisruptionBudget RouterBudget(DeepSeekDeployment owner) =>
        Budget(owner, Names.Router(owner.Metadata.Name ?? ""), RouterBuilder.Component);

    /// <summary>
    /// Worker gRPC (KV transfer, expert dispatch, control) is reachable only from this deployment's own pods; the
    /// workers' HTTP port (/health, /metrics) stays open to scrapers. Traffic a policy does not allow is denied once
    /// a policy selects the pod (NetworkPolicy semantics).
    /// </summary>
    public static NetworkPolicy WorkerNetworkPolicy(DeepSeekDeployment owner)
    {
        string name = owner.Metadata.Name ?? "";
        return new NetworkPolicy
        {
            ApiVersion = ResourceKind.NetworkPolicies.ApiVersion,
            Kind = ResourceKind.NetworkPolicies.Kind,
            Metadata = ChildMetadata.For(owner, Names.WorkerNetworkPolicy(name), "workers"),
            Spec = new NetworkPolicySpec
            {
                PodSelector = new LabelSelector
                {
                    MatchLabels = new() { [Labels.Instance] = name },
                    MatchExpressions = [new LabelSelectorRequirement { Key = Labels.Component, Operator = "In", Values = [Names.Pool(PoolRole.Prefill), Names.Pool(PoolRole.Decode)] }],
                },
                PolicyTypes = ["Ingress"],
                Ingress =
                [
                    new NetworkPolicyIngressRule
                    {
                        From = [new NetworkPolicyPeer { PodSelector = new LabelSelector { MatchLabels = new() { [Labels.Instance] = name } } }],
                        Ports = [new NetworkPolicyPort { Protocol = "TCP", Port = Ports.WorkerGrpc }],
                    },
                    new NetworkPolicyIngressRule { Ports = [new NetworkPolicyPort { Protocol = "TCP", Port = Ports.WorkerHttp }] },
                ],
            },
        };
    }

    private static PodDisruptionBudget Budget(DeepSeekDeployment owner, string name, string component) => new()
    {
        ApiVersion = ResourceKind.PodDisruptionBudgets.ApiVersion,
        Kind = ResourceKind.PodDisruptionBudgets.Kind,
        Metadata = ChildMetadata.For(owner, name, component),
        Spec = new PodDisruptionBudgetSpec
        {
            MaxUnavailable = 1,
            Selector = new LabelSelector { MatchLabels = ChildMetadata.SelectorLabels(owner, component) },
        },
    };
}
