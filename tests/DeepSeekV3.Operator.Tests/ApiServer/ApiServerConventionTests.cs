using System.Net;
using System.Text.Json.Nodes;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Kubernetes.TestApiServer;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Controller;

namespace DeepSeekV3.Operator.Tests.ApiServer;

/// <summary>The test API server and our client together follow the API conventions the operator relies on.</summary>
public class ApiServerConventionTests
{
    private static readonly ResourceKind Dsd = ClusterCache.DeepSeekDeployments;

    [Fact]
    public async Task Create_Update_StaleResourceVersionIsAConflictAndGenerationCountsSpecChangesOnly()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CreateAsync(Dsd, Fixtures.H200("a"), OperatorJsonContext.Default.DeepSeekDeployment);

        created.Metadata.Labels = new() { ["team"] = "x" };
        var relabelled = await cluster.Client.ReplaceAsync(Dsd, created, OperatorJsonContext.Default.DeepSeekDeployment);
        relabelled.Spec.Decode.Replicas = 3;
        var rescaled = await cluster.Client.ReplaceAsync(Dsd, relabelled, OperatorJsonContext.Default.DeepSeekDeployment);
        var stale = await Assert.ThrowsAsync<KubernetesApiException>(() => cluster.Client.ReplaceAsync(Dsd, created, OperatorJsonContext.Default.DeepSeekDeployment));
        var duplicate = await Assert.ThrowsAsync<KubernetesApiException>(() => cluster.Client.CreateAsync(Dsd, Fixtures.H200("a"), OperatorJsonContext.Default.DeepSeekDeployment));

        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal(1, relabelled.Metadata.Generation);
        Assert.Equal(2, rescaled.Metadata.Generation);
        Assert.True(stale.IsConflict, stale.Message);
        Assert.True(duplicate.IsAlreadyExists, duplicate.Message);
        Assert.Null(await cluster.Client.GetAsync(Dsd, "inference", "missing", OperatorJsonContext.Default.DeepSeekDeployment));
    }

    [Fact]
    public async Task StatusSubresource_IsolatesStatusFromSpec()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CreateAsync(Dsd, Fixtures.H200("a"), OperatorJsonContext.Default.DeepSeekDeployment);

        created.Status = new DeepSeekDeploymentStatus { Replicas = 7 };
        created.Spec.Image = "changed-through-status";
        var viaStatus = await cluster.Client.ReplaceStatusAsync(Dsd, created, OperatorJsonContext.Default.DeepSeekDeployment);
        var (statusReplicas, image) = (viaStatus.Status!.Replicas, viaStatus.Spec.Image);
        viaStatus.Status = new DeepSeekDeploymentStatus { Replicas = 99 };
        var viaMain = await cluster.Client.ReplaceAsync(Dsd, viaStatus, OperatorJsonContext.Default.DeepSeekDeployment);

        Assert.Equal(7, statusReplicas);
        Assert.Equal("ghcr.io/deepseekv3-cluster/dsv3:0.1.0", image);
        Assert.Equal(7, viaMain.Status!.Replicas);
    }

    [Fact]
    public async Task ScaleSubresource_ReadsAndWritesDecodeReplicas()
    {
        await using var cluster = await TestCluster.StartAsync();
        var created = await cluster.Client.CreateAsync(Dsd, Fixtures.H200("a"), OperatorJsonContext.Default.DeepSeekDeployment);
        created.Status = new DeepSeekDeploymentStatus { Replicas = 2, Selector = "app.kubernetes.io/instance=a" };
        await cluster.Client.ReplaceStatusAsync(Dsd, created, OperatorJsonContext.Default.DeepSeekDeployment);

        var before = await cluster.Client.GetScaleAsync(Dsd, "inference", "a");
        var after = await cluster.Client.ScaleAsync(Dsd, "inference", "a", 5);
        var deployment = await cluster.Client.GetAsync(Dsd, "inference", "a", OperatorJsonContext.Default.DeepSeekDeployment);

        Assert.Equal((2, 2, "app.kubernetes.io/instance=a"), (before.Spec!.Replicas, before.Status!.Replicas, before.Status.Selector));
        Assert.Equal(5, after.Spec!.Replicas);
        Assert.Equal(5, deployment!.Spec.Decode.Replicas);
        Assert.Equal(2, deployment.Metadata.Generation);
    }

    [Fact]
    public async Task MergePatch_NullRemovesAKeyAndOtherKeysStay()
    {
        await using var cluster = await TestCluster.StartAsync();
        var map = new ConfigMap { Metadata = new ObjectMeta { Name = "m", Namespace = "default" }, Data = new() { ["a"] = "1", ["b"] = "2" } };
        await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, map, KubernetesJsonContext.Default.ConfigMap);

        var patched = await cluster.Client.PatchAsync(ResourceKind.ConfigMaps, "default", "m",
            new JsonObject { ["data"] = new JsonObject { ["a"] = null, ["c"] = "3" } }, KubernetesJsonContext.Default.ConfigMap);

        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" }, patched.Data);
    }

    [Fact]
    public async Task Delete_WithFinalizer_WaitsForItThenCollectsDependentsTransitively()
    {
        await using var cluster = await TestCluster.StartAsync();
        var owner = Fixtures.H200("a");
        owner.Metadata.Finalizers = ["example.com/hold"];
        var created = await cluster.Client.CreateAsync(Dsd, owner, OperatorJsonContext.Default.DeepSeekDeployment);
        var child = await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap
        {
            Metadata = new ObjectMeta { Name = "child", Namespace = "inference", OwnerReferences = [Reference(created)] },
        }, KubernetesJsonContext.Default.ConfigMap);
        await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap
        {
            Metadata = new ObjectMeta { Name = "grandchild", Namespace = "inference", OwnerReferences = [new OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "child", Uid = child.Metadata.Uid! }] },
        }, KubernetesJsonContext.Default.ConfigMap);

        await cluster.Client.DeleteAsync(Dsd, "inference", "a");
        var terminating = await cluster.Client.GetAsync(Dsd, "inference", "a", OperatorJsonContext.Default.DeepSeekDeployment);
        bool childWhileTerminating = await cluster.Client.GetAsync(ResourceKind.ConfigMaps, "inference", "child", KubernetesJsonContext.Default.ConfigMap) is not null;
        await cluster.Client.PatchAsync(Dsd, "inference", "a", new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }, OperatorJsonContext.Default.DeepSeekDeployment);

        Assert.NotNull(terminating!.Metadata.DeletionTimestamp);
        Assert.True(childWhileTerminating);
        Assert.Null(await cluster.Client.GetAsync(Dsd, "inference", "a", OperatorJsonContext.Default.DeepSeekDeployment));
        Assert.Null(await cluster.Client.GetAsync(ResourceKind.ConfigMaps, "inference", "child", KubernetesJsonContext.Default.ConfigMap));
        Assert.Null(await cluster.Client.GetAsync(ResourceKind.ConfigMaps, "inference", "grandchild", KubernetesJsonContext.Default.ConfigMap));
    }

    [Theory]
    [InlineData("tier=gpu", new[] { "a", "b" })]
    [InlineData("tier==gpu,zone!=z2", new[] { "a" })]
    [InlineData("zone in (z2,z3)", new[] { "b", "c" })]
    [InlineData("zone notin (z1),tier", new[] { "b" })]
    [InlineData("!tier", new[] { "c" })]
    public async Task List_LabelSelectors_SelectLikeTheApi(string selector, string[] expected)
    {
        await using var cluster = await TestCluster.StartAsync();
        foreach (var (name, labels) in new[] { ("a", "tier=gpu,zone=z1"), ("b", "tier=gpu,zone=z2"), ("c", "zone=z3") })
        {
            await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap
            {
                Metadata = new ObjectMeta { Name = name, Namespace = "default", Labels = labels.Split(',').Select(l => l.Split('=')).ToDictionary(l => l[0], l => l[1]) },
            }, KubernetesJsonContext.Default.ConfigMap);
        }

        var list = await cluster.Client.ListAsync(ResourceKind.ConfigMaps, "default", KubernetesJsonContext.Default.KubernetesListConfigMap, selector);

        Assert.Equal(expected, list.Items.Select(i => i.Metadata.Name));
    }

    [Fact]
    public async Task Watch_ResumesFromAResourceVersionAndAnswersExpiredAfterCompaction()
    {
        await using var cluster = await TestCluster.StartAsync();
        var first = await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "one", Namespace = "default" } }, KubernetesJsonContext.Default.ConfigMap);
        await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "two", Namespace = "default" } }, KubernetesJsonContext.Default.ConfigMap);
        await cluster.Client.DeleteAsync(ResourceKind.ConfigMaps, "default", "one");

        var resumed = new List<string>();
        await foreach (var change in cluster.Client.WatchAsync(ResourceKind.ConfigMaps, "default", first.Metadata.ResourceVersion, timeoutSeconds: 1))
        {
            resumed.Add($"{change.Type} {change.Resource["metadata"]!["name"]}");
        }

        cluster.Server.Store.CompactHistory();
        var expired = await Assert.ThrowsAsync<KubernetesApiException>(async () =>
        {
            await foreach (var _ in cluster.Client.WatchAsync(ResourceKind.ConfigMaps, "default", first.Metadata.ResourceVersion, timeoutSeconds: 1))
            {
            }
        });

        Assert.Equal(["Added two", "Deleted one"], resumed);
        Assert.True(expired.IsGone, expired.Message);
    }

    [Fact]
    public async Task Informer_RelistsAfterExpiryAndReportsWhatChangedInTheGap()
    {
        await using var cluster = await TestCluster.StartAsync(new TestServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        using var stop = new CancellationTokenSource();
        var informer = new Kubernetes.Runtime.Informer<ConfigMap>(cluster.Client, ResourceKind.ConfigMaps, KubernetesJsonContext.Default.ConfigMap,
            KubernetesJsonContext.Default.KubernetesListConfigMap, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "default");
        var deleted = new List<string>();
        informer.Subscribe((old, current) =>
        {
            if (current is null)
            {
                lock (deleted)
                {
                    deleted.Add(old!.Metadata.Name!);
                }
            }
        });
        await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "gone-in-gap", Namespace = "default" } }, KubernetesJsonContext.Default.ConfigMap);
        var run = informer.RunAsync(stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));

        // Drop the watch, delete while it cannot reconnect, compact: only a relist can tell the informer.
        cluster.Server.Store.WatchesPaused = true;
        cluster.Server.Store.DisconnectWatches();
        await cluster.Client.DeleteAsync(ResourceKind.ConfigMaps, "default", "gone-in-gap");
        cluster.Server.Store.CompactHistory();
        cluster.Server.Store.WatchesPaused = false;
        await cluster.Client.CreateAsync(ResourceKind.ConfigMaps, new ConfigMap { Metadata = new ObjectMeta { Name = "after", Namespace = "default" } }, KubernetesJsonContext.Default.ConfigMap);
        await Eventually.TrueAsync(() => informer.Get("default", "after") is not null, TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await run;

        Assert.Null(informer.Get("default", "gone-in-gap"));
        Assert.Contains("gone-in-gap", deleted);
        Assert.True(informer.Relists >= 2, $"{informer.Relists} lists");
    }

    [Fact]
    public async Task WrongToken_IsUnauthorized()
    {
        await using var cluster = await TestCluster.StartAsync(new TestServerOptions { Token = "s3cret" });
        using var stranger = new KubernetesClient(new ClusterConnection(cluster.Server.BaseAddress, () => BearerTokenHandler.FromValue("wrong", new SocketsHttpHandler()), "default"));

        var refused = await Assert.ThrowsAsync<KubernetesApiException>(() => stranger.ListAsync(ResourceKind.Pods, "default", KubernetesJsonContext.Default.KubernetesListPod));
        var allowed = await cluster.Client.ListAsync(ResourceKind.Pods, "default", KubernetesJsonContext.Default.KubernetesListPod);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(allowed.Items);
    }

    [Fact]
    public async Task StatefulSetSimulator_CreatesOrdinalPodsAndRecreatesDeletedOnes()
    {
        await using var cluster = await TestCluster.StartAsync();
        var group = DeepSeekV3.Operator.Desired.DesiredState.Build(Fixtures.H200("a")).Groups[0];
        group.Spec!.Replicas = 2;
        group.Metadata.OwnerReferences = null;
        await cluster.Client.CreateAsync(ResourceKind.StatefulSets, group, KubernetesJsonContext.Default.StatefulSet);
        await Eventually.TrueAsync(async () => (await Pods(cluster)).Count(p => GroupObservation.IsReady(p)) == 2, TimeSpan.FromSeconds(10));
        var before = await Pods(cluster);

        await cluster.Client.DeleteAsync(ResourceKind.Pods, "inference", "a-prefill-0-1");
        await Eventually.TrueAsync(async () => (await Pods(cluster)).Any(p => p.Metadata.Name == "a-prefill-0-1" && p.Metadata.Uid != before[1].Metadata.Uid), TimeSpan.FromSeconds(10));
        var after = await Pods(cluster);

        Assert.Equal(["a-prefill-0-0", "a-prefill-0-1"], before.Select(p => p.Metadata.Name));
        Assert.Equal("1", before[1].Metadata.Labels!["apps.kubernetes.io/pod-index"]);
        Assert.Equal(before[0].Metadata.Uid, after[0].Metadata.Uid);
    }

    private static async Task<List<Pod>> Pods(TestCluster cluster) =>
        [.. (await cluster.Client.ListAsync(ResourceKind.Pods, "inference", KubernetesJsonContext.Default.KubernetesListPod)).Items.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];

    private static OwnerReference Reference(DeepSeekDeployment owner) => new()
    {
        ApiVersion = DeepSeekDeployment.ApiVersionValue, Kind = DeepSeekDeployment.KindName, Name = owner.Metadata.Name!, Uid = owner.Metadata.Uid!, Controller = true,
    };
}
