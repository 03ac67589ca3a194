using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Controller;
using DeepSeekV3.Operator.Desired;
using DeepSeekV3.Operator.Tests.ApiServer;

namespace DeepSeekV3.Operator.Tests.EndToEnd;

/// <summary>Reads of the test cluster's state that the end-to-end tests assert on.</summary>
public static class ClusterView
{
    public static Task<DeepSeekDeployment?> Deployment(this TestCluster cluster, string name) =>
        cluster.Client.GetAsync(ClusterCache.DeepSeekDeployments, "inference", name, OperatorJsonContext.Default.DeepSeekDeployment);

    public static async Task<List<StatefulSet>> Groups(this TestCluster cluster, string name, string? pool = null) =>
        [.. (await cluster.Client.ListAsync(ResourceKind.StatefulSets, "inference", KubernetesJsonContext.Default.KubernetesListStatefulSet,
                $"{Labels.Instance}={name}" + (pool is null ? "" : $",{Labels.Component}={pool}"))).Items
            .OrderBy(s => s.Metadata.Name, StringComparer.Ordinal)];

    public static async Task<List<Pod>> Pods(this TestCluster cluster, string labelSelector) =>
        [.. (await cluster.Client.ListAsync(ResourceKind.Pods, "inference", KubernetesJsonContext.Default.KubernetesListPod, labelSelector)).Items
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];

    public static async Task<List<Event>> Events(this TestCluster cluster, string reason) =>
        [.. (await cluster.Client.ListAsync(ResourceKind.Events, "inference", KubernetesJsonContext.Default.KubernetesListEvent)).Items.Where(e => e.Reason == reason)];

    public static Condition? Condition(this DeepSeekDeployment deployment, string type) =>
        deployment.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>Waits until the operator has seen the current generation and reports the phase.</summary>
    public static Task PhaseAsync(this TestCluster cluster, string name, DeploymentPhase phase, OperatorProcess op, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(async () =>
            await cluster.Deployment(name) is { } d && d.Status?.ObservedGeneration == d.Metadata.Generation && d.Status?.Phase == phase,
            timeout ?? TimeSpan.FromSeconds(30), () => $"{name} reaches phase {phase}; operator log:\n{op.Log}");
}
