using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.TestApiServer;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Controller;
using DeepSeekV3.Operator.Desired;
using DeepSeekV3.Operator.Tests.ApiServer;

namespace DeepSeekV3.Operator.Tests.EndToEnd;

/// <summary>
/// The operator binary against the test API server, through a deployment's whole life: create, scale through the
/// scale subresource, roll out an image group by group, recover a crashed rank by restarting its whole group,
/// drain and delete on scale-down, and leave nothing behind on delete.
/// </summary>
public class OperatorLifecycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Operator_RunsADeploymentThroughItsWholeLife()
    {
        await using var cluster = await TestCluster.StartAsync(new TestServerOptions { PodReadyDelay = TimeSpan.FromMilliseconds(300) });
        await using var op = OperatorProcess.Start(cluster, "op-a", "--drain-seconds", "1");
        await op.WaitReadyAsync();
        var spec = Fixtures.H200("v3", prefill: 1, decode: 2);
        spec.Spec.Decode.NodesPerReplica = 2;
        await cluster.Client.CreateAsync(ClusterCache.DeepSeekDeployments, spec, OperatorJsonContext.Default.DeepSeekDeployment);

        // Create: every child, pods with their group environment, an Available status.
        await cluster.PhaseAsync("v3", DeploymentPhase.Available, op);
        var created = (await cluster.Deployment("v3"))!;
        Assert.Equal(["v3-decode-0", "v3-decode-1", "v3-prefill-0"], (await cluster.Groups("v3")).Select(g => g.Metadata.Name));
        Assert.Equal(5, (await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component} in (prefill,decode)")).Count);
        Assert.NotNull(await cluster.Client.GetAsync(ResourceKind.Deployments, "inference", "v3-router", KubernetesJsonContext.Default.Deployment));
        Assert.NotNull(await cluster.Client.GetAsync(ResourceKind.ConfigMaps, "inference", "v3-topology", KubernetesJsonContext.Default.ConfigMap));
        Assert.NotNull(await cluster.Client.GetAsync(ResourceKind.NetworkPolicies, "inference", "v3-workers", KubernetesJsonContext.Default.NetworkPolicy));
        Assert.Equal(5, (await cluster.Client.ListAsync(ResourceKind.Services, "inference", KubernetesJsonContext.Default.KubernetesListService, $"{Labels.Instance}=v3")).Items.Count);
        Assert.Equal(3, (await cluster.Client.ListAsync(ResourceKind.PodDisruptionBudgets, "inference", KubernetesJsonContext.Default.KubernetesListPodDisruptionBudget, $"{Labels.Instance}=v3")).Items.Count);
        Assert.Equal((2, "2/2", "True"), (created.Status!.Replicas, created.Status.Ready, created.Condition(ConditionSet.Available)!.Status));
        Assert.Equal("app.kubernetes.io/instance=v3,app.kubernetes.io/component=decode,apps.kubernetes.io/pod-index=0", created.Status.Selector);
        Assert.True(created.Status.Decode!.KvCacheTokensPerGroup > 1_000_000);
        Assert.Equal("http://v3-router.inference.svc:8000/v1", created.Status.Endpoint);
        var rank1 = (await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component}=decode,{Labels.Group}=1")).Last();
        var env = rank1.Spec!.Containers[0].Env!.ToDictionary(e => e.Name!, e => e.Value);
        Assert.Equal(("2", "v3-decode-1-0.v3-decode.inference.svc:50051"), (env["DSV3_GROUP_SIZE"], env["DSV3_LEADER_ADDRESS"]));
        Assert.Equal("1", rank1.Metadata.Labels![Labels.PodIndex]);

        // Scale through the scale subresource, as `kubectl scale dsd/v3 --replicas=3` and an HPA do.
        await cluster.Client.ScaleAsync(ClusterCache.DeepSeekDeployments, "inference", "v3", 3);
        await cluster.PhaseAsync("v3", DeploymentPhase.Available, op);
        Assert.Equal(3, (await cluster.Groups("v3", "decode")).Count);
        Assert.Equal(3, (await cluster.Client.GetScaleAsync(ClusterCache.DeepSeekDeployments, "inference", "v3")).Status!.Replicas);

        // Roll out a new image: one group at a time, each group whole.
        int maxDecodeGroupsDown = 0;
        void Track(StoredEvent change)
        {
            if (change.Kind.Plural == "statefulsets" && (string?)change.Resource["metadata"]!["labels"]?[Labels.Component] == "decode")
            {
                var sets = cluster.Server.Store.List(change.Kind, "inference", LabelQuery.Parse($"{Labels.Instance}=v3,{Labels.Component}=decode")).Items;
                int down = sets.Count(s => (int?)s["status"]?["readyReplicas"] != (int?)s["spec"]?["replicas"]);
                lock (cluster)
                {
                    maxDecodeGroupsDown = Math.Max(maxDecodeGroupsDown, down);
                }
            }
        }

        var before = (await cluster.Deployment("v3"))!;
        string oldRevision = before.Status!.Decode!.Revision!;
        cluster.Server.Store.Changed += Track;
        before.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";
        await cluster.Client.ReplaceAsync(ClusterCache.DeepSeekDeployments, before, OperatorJsonContext.Default.DeepSeekDeployment);
        await Eventually.TrueAsync(async () => (await cluster.Deployment("v3")) is { Status.Phase: DeploymentPhase.Available } d
            && d.Status.ObservedGeneration == d.Metadata.Generation && d.Status.Decode!.UpdatedReplicas == 3 && d.Status.Prefill!.UpdatedReplicas == 1, Wait, op.Log);
        cluster.Server.Store.Changed -= Track;
        var updatedPods = await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component} in (prefill,decode)");
        Assert.All(updatedPods, p => Assert.Equal("ghcr.io/deepseekv3-cluster/dsv3:0.2.0", p.Spec!.Containers[0].Image));
        Assert.All(updatedPods, p => Assert.NotEqual(oldRevision, p.Metadata.Labels![Labels.Revision]));
        Assert.Equal(1, maxDecodeGroupsDown);
        Assert.Equal(4, (await cluster.Events("GroupUpdating")).Count);

        // A rank crashes after its group started: the whole group restarts, the others are untouched.
        var podsBefore = (await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component}=decode")).ToDictionary(p => p.Metadata.Name!, p => p.Metadata.Uid);
        cluster.Server.Workloads!.CrashPod("inference", "v3-decode-1-1");
        await Eventually.TrueAsync(async () =>
        {
            var pods = await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component}=decode,{Labels.Group}=1");
            return pods.Count == 2 && pods.All(p => podsBefore[p.Metadata.Name!] != p.Metadata.Uid && GroupObservation.IsReady(p));
        }, Wait, op.Log);
        var podsAfter = (await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component}=decode")).ToDictionary(p => p.Metadata.Name!, p => p.Metadata.Uid);
        Assert.Equal(podsBefore["v3-decode-0-0"], podsAfter["v3-decode-0-0"]);
        Assert.Equal(podsBefore["v3-decode-2-1"], podsAfter["v3-decode-2-1"]);
        Assert.Equal("1", (await cluster.Groups("v3", "decode"))[1].Metadata.Annotations![Labels.Restarts]);
        Assert.Contains("v3-decode-1-1 restarted 1 time(s)", Assert.Single(await cluster.Events("GroupRestarted")).Message, StringComparison.Ordinal);
        await cluster.PhaseAsync("v3", DeploymentPhase.Available, op);

        // Scale down: the surplus group leaves the serving Service first, then goes.
        bool sawDraining = false;
        void Drain(StoredEvent change) => sawDraining |= change.Kind.Plural == "pods"
            && (string?)change.Resource["metadata"]!["name"] == "v3-decode-2-0" && (string?)change.Resource["metadata"]!["labels"]?[Labels.Serving] == "false";
        cluster.Server.Store.Changed += Drain;
        await cluster.Client.ScaleAsync(ClusterCache.DeepSeekDeployments, "inference", "v3", 2);
        await Eventually.TrueAsync(async () => (await cluster.Groups("v3", "decode")).Count == 2, Wait, () => op.Log);
        cluster.Server.Store.Changed -= Drain;
        Assert.True(sawDraining, "the group was deleted without being drained first");
        Assert.Empty(await cluster.Pods($"{Labels.Instance}=v3,{Labels.Component}=decode,{Labels.Group}=2"));
        await cluster.PhaseAsync("v3", DeploymentPhase.Available, op);

        // Delete: the garbage collector takes every child (ownerReferences).
        await cluster.Client.DeleteAsync(ClusterCache.DeepSeekDeployments, "inference", "v3");
        await Eventually.TrueAsync(async () => (await cluster.Groups("v3")).Count == 0 && (await cluster.Pods($"{Labels.Instance}=v3")).Count == 0, Wait);
        Assert.Empty((await cluster.Client.ListAsync(ResourceKind.Services, "inference", KubernetesJsonContext.Default.KubernetesListService, $"{Labels.Instance}=v3")).Items);
        Assert.Null(await cluster.Client.GetAsync(ResourceKind.Deployments, "inference", "v3-router", KubernetesJsonContext.Default.Deployment));

        string metrics = await op.MetricsAsync();
        Assert.Contains("dsv3_operator_reconciles_total{result=\"success\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_leader 1", metrics, StringComparison.Ordinal);
        Assert.Equal(0, await op.TerminateAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task SurgeRollout_KeepsEveryDecodeGroupServingWhileTheImageChanges()
    {
        await using var cluster = await TestCluster.StartAsync(new TestServerOptions { PodReadyDelay = TimeSpan.FromMilliseconds(300) });
        await using var op = OperatorProcess.Start(cluster, "op-a", "--drain-seconds", "1");
        await op.WaitReadyAsync();
        var spec = Fixtures.H200("s", prefill: 1, decode: 2);
        spec.Spec.Rollout = new RolloutSpec { MaxUnavailable = 0, MaxSurge = 1 };
        await cluster.Client.CreateAsync(ClusterCache.DeepSeekDeployments, spec, OperatorJsonContext.Default.DeepSeekDeployment);
        await cluster.PhaseAsync("s", DeploymentPhase.Available, op);

        int fewestReady = int.MaxValue;
        void Track(StoredEvent change)
        {
            if (change.Kind.Plural == "statefulsets")
            {
                var sets = cluster.Server.Store.List(change.Kind, "inference", LabelQuery.Parse($"{Labels.Instance}=s,{Labels.Component}=decode")).Items;
                int ready = sets.Count(s => (int?)s["status"]?["readyReplicas"] == (int?)s["spec"]?["replicas"] && (int?)s["spec"]?["replicas"] > 0);
                lock (cluster)
                {
                    fewestReady = Math.Min(fewestReady, ready);
                }
            }
        }

        var current = (await cluster.Deployment("s"))!;
        cluster.Server.Store.Changed += Track;
        current.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";
        await cluster.Client.ReplaceAsync(ClusterCache.DeepSeekDeployments, current, OperatorJsonContext.Default.DeepSeekDeployment);
        await Eventually.TrueAsync(async () => (await cluster.Deployment("s")) is { Status.Phase: DeploymentPhase.Available } d
            && d.Status.ObservedGeneration == d.Metadata.Generation && d.Status.Decode!.UpdatedReplicas == 2
            && (await cluster.Groups("s", "decode")).Count == 2, Wait, op.Log);
        cluster.Server.Store.Changed -= Track;

        Assert.Contains("created group s-decode-2", op.Log, StringComparison.Ordinal);   // the surge group
        Assert.Contains("deleted drained group s-decode-2", op.Log, StringComparison.Ordinal);
        Assert.True(fewestReady >= 2, $"only {fewestReady} decode groups were ready at one point; operator log:\n{op.Log}");
        Assert.All(await cluster.Pods($"{Labels.Instance}=s,{Labels.Component}=decode"), p => Assert.Equal("ghcr.io/deepseekv3-cluster/dsv3:0.2.0", p.Spec!.Containers[0].Image));
    }
}
