using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Kubernetes.Runtime;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Desired;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// The informers the controller reads from: DeepSeekDeployments, and every kind of child (only objects labelled
/// managed-by deepseek-operator, so the caches hold our objects, not the cluster's). Children are indexed by
/// namespace + instance label, which is how a child event finds the deployment to reconcile.
/// </summary>
public sealed class ClusterCache
{
    public static readonly ResourceKind DeepSeekDeployments = new(
        DeepSeekDeployment.Group, DeepSeekDeployment.Version, DeepSeekDeployment.Plural, DeepSeekDeployment.KindName, Namespaced: true);

    private static readonly string ManagedSelector = $"{Labels.ManagedBy}={Labels.ManagedByValue}";

    public ClusterCache(KubernetesClient client, ILoggerFactory logs, string? @namespace)
    {
        Deployments = new(client, DeepSeekDeployments, OperatorJsonContext.Default.DeepSeekDeployment,
            OperatorJsonContext.Default.KubernetesListDeepSeekDeployment, logs.CreateLogger("informer.deepseekdeployments"), @namespace);
        StatefulSets = Child(client, logs, @namespace, ResourceKind.StatefulSets, KubernetesJsonContext.Default.StatefulSet, KubernetesJsonContext.Default.KubernetesListStatefulSet);
        Pods = Child(client, logs, @namespace, ResourceKind.Pods, KubernetesJsonContext.Default.Pod, KubernetesJsonContext.Default.KubernetesListPod);
        Services = Child(client, logs, @namespace, ResourceKind.Services, KubernetesJsonContext.Default.Service, KubernetesJsonContext.Default.KubernetesListService);
        ConfigMaps = Child(client, logs, @namespace, ResourceKind.ConfigMaps, KubernetesJsonContext.Default.ConfigMap, KubernetesJsonContext.Default.KubernetesListConfigMap);
        AppDeployments = Child(client, logs, @namespace, ResourceKind.Deployments, KubernetesJsonContext.Default.Deployment, KubernetesJsonContext.Default.KubernetesListDeployment);
        Budgets = Child(client, logs, @namespace, ResourceKind.PodDisruptionBudgets, KubernetesJsonContext.Default.PodDisruptionBudget, KubernetesJsonContext.Default.KubernetesListPodDisruptionBudget);
        NetworkPolicies = Child(client, logs, @namespace, ResourceKind.NetworkPolicies, KubernetesJsonContext.Default.NetworkPolicy, KubernetesJsonContext.Default.KubernetesListNetworkPolicy);
    }

    public Informer<DeepSeekDeployment> Deployments { get; }

    public Informer<StatefulSet> StatefulSets { get; }

    public Informer<Pod> Pods { get; }

    public Informer<Service> Services { get; }

    public Informer<ConfigMap> ConfigMaps { get; }

    public Informer<Deployment> AppDeployments { get; }

    public Informer<PodDisruptionBudget> Budgets { get; }

    public Informer<NetworkPolicy> NetworkPolicies { get; }

    public IReadOnlyList<IInformer> All => [Deployments, StatefulSets, Pods, Services, ConfigMaps, AppDeployments, Budgets, NetworkPolicies];

    /// <summary>The work-queue key of the deployment a child belongs to ("namespace/instance"), or null.</summary>
    public static string? OwnerKey(KubernetesObject child) =>
        child.Metadata.Labels?.GetValueOrDefault(Labels.Instance) is { } instance ? $"{child.Metadata.Namespace}/{instance}" : null;

    /// <summary>Subscribes to every child kind: any change of a child queues its deployment.</summary>
    public void OnChildChange(Action<string> enqueue)
    {
        void Hook<T>(Informer<T> informer)
            where T : KubernetesObject =>
            informer.Subscribe((old, current) =>
            {
                if (OwnerKey((current ?? old)!) is { } key)
                {
                    enqueue(key);
                }
            });

        Hook(StatefulSets);
        Hook(Pods);
        Hook(Services);
        Hook(ConfigMaps);
        Hook(AppDeployments);
        Hook(Budgets);
        Hook(NetworkPolicies);
    }

    private static Informer<T> Child<T>(
        KubernetesClient client, ILoggerFactory logs, string? @namespace, ResourceKind kind,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<KubernetesList<T>> listType)
        where T : KubernetesObject =>
        new(client, kind, type, listType, logs.CreateLogger("informer." + kind.Plural), @namespace, ManagedSelector, OwnerKey);
}
