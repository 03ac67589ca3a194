using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Operator.Desired;

/// <summary>Every child of one DeepSeekDeployment, by kind, each carrying its spec-hash annotation.</summary>
public sealed record DesiredChildren(
    ConfigMap Topology,
    IReadOnlyList<Service> Services,
    IReadOnlyList<StatefulSet> Groups,
    Deployment Router,
    IReadOnlyList<PodDisruptionBudget> DisruptionBudgets,
    NetworkPolicy NetworkPolicy)
{
    /// <summary>All children in creation order: what pods need (Services, topology) before the pods.</summary>
    public IEnumerable<KubernetesObject> All =>
        [Topology, .. Services, NetworkPolicy, .. DisruptionBudgets, .. Groups, Router];
}
