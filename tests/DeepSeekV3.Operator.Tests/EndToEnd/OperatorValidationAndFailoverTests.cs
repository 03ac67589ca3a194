using DeepSeekV3.Kubernetes;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Controller;
using DeepSeekV3.Operator.Tests.ApiServer;

namespace DeepSeekV3.Operator.Tests.EndToEnd;

public class OperatorValidationAndFailoverTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task InvalidSpec_GetsAConditionAndAnEventAndExistingChildrenAreLeftAlone()
    {
        await using var cluster = await TestCluster.StartAsync();
        await using var op = OperatorProcess.Start(cluster, "op-a");
        var tooSmall = Fixtures.H200("small");
        tooSmall.Spec.Decode.GpuMemoryGiB = 80;
        await cluster.Client.CreateAsync(ClusterCache.DeepSeekDeployments, tooSmall, OperatorJsonContext.Default.DeepSeekDeployment);
        await cluster.Client.CreateAsync(ClusterCache.DeepSeekDeployments, Fixtures.H200("good"), OperatorJsonContext.Default.DeepSeekDeployment);

        await cluster.PhaseAsync("small", DeploymentPhase.Invalid, op);
        await cluster.PhaseAsync("good", DeploymentPhase.Available, op);
        var refused = (await cluster.Deployment("small"))!.Condition(ConditionSet.SpecValid)!;
        Assert.Equal(("False", "InsufficientGpuMemory"), (refused.Status, refused.Reason));
        Assert.Contains("1 x 8 GPUs of 80 GiB", refused.Message, StringComparison.Ordinal);
        Assert.Contains("92.0 GiB per GPU", refused.Message, StringComparison.Ordinal);
        Assert.Contains(await cluster.Events("InsufficientGpuMemory"), e => e.InvolvedObject.Name == "small" && e.Type == "Warning");
        Assert.Empty(await cluster.Groups("small"));

        // A running deployment changed to something that cannot fit keeps its children as they are.
        var good = (await cluster.Deployment("good"))!;
        var groupsBefore = (await cluster.Groups("good")).ToDictionary(g => g.Metadata.Name!, g => g.Metadata.ResourceVersion);
        good.Spec.Model.Precision = ModelPrecision.Bf16;
        await cluster.Client.ReplaceAsync(ClusterCache.DeepSeekDeployments, good, OperatorJsonContext.Default.DeepSeekDeployment);
        await cluster.PhaseAsync("good", DeploymentPhase.Invalid, op);
        var kept = (await cluster.Deployment("good"))!;

        Assert.Equal(groupsBefore, (await cluster.Groups("good")).ToDictionary(g => g.Metadata.Name!, g => g.Metadata.ResourceVersion));
        Assert.Equal("True", kept.Condition(ConditionSet.Available)!.Status);
        Assert.Contains("BF16 weights need", kept.Condition(ConditionSet.SpecValid)!.Message, StringComparison.Ordinal);
        Assert.False(op.HasExited);
    }

    [Fact]
    public async Task TwoReplicas_OneLeads_AndTheOtherTakesOverWhenTheLeaderStopsRenewing()
    {
        await using var cluster = await TestCluster.StartAsync();
        string[] flags = ["--leader-elect", "--lease-namespace", "default", "--lease-duration-seconds", "5"];
        await using var a = OperatorProcess.Start(cluster, "op-a", flags);
        await using var b = OperatorProcess.Start(cluster, "op-b", flags);
        await Task.WhenAll(a.WaitReadyAsync(), b.WaitReadyAsync());
        await Eventually.TrueAsync(async () => await Holder(cluster) is "op-a" or "op-b", Wait, () => a.Log + b.Log);
        string first = (await Holder(cluster))!;
        var (leader, standby) = first == "op-a" ? (a, b) : (b, a);

        await cluster.Client.CreateAsync(ClusterCache.DeepSeekDeployments, Fixtures.H200("one"), OperatorJsonContext.Default.DeepSeekDeployment);
        await cluster.PhaseAsync("one", DeploymentPhase.Available, leader);
        Assert.Contains("dsv3_operator_leader 0", await standby.MetricsAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("GroupCreated", standby.Log, StringComparison.Ordinal);

        leader.Kill(); // no release: the standby must wait for the lease to expire
        await cluster.Client.CreateAsync(ClusterCache.DeepSeekDeployments, Fixtures.H200("two"), OperatorJsonContext.Default.DeepSeekDeployment);
        await cluster.PhaseAsync("two", DeploymentPhase.Available, standby, TimeSpan.FromSeconds(30));

        Assert.Equal(standby.Identity, await Holder(cluster));
        Assert.Contains("GroupCreated: created group two-prefill-0", standby.Log, StringComparison.Ordinal);
        Assert.Contains("dsv3_operator_leader 1", await standby.MetricsAsync(), StringComparison.Ordinal);

        // A graceful stop releases the lease at once (holder emptied) and exits 0.
        Assert.Equal(0, await standby.TerminateAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal("", await Holder(cluster));
    }

    private static async Task<string?> Holder(TestCluster cluster) =>
        (await cluster.Client.GetAsync(ResourceKind.Leases, "default", "deepseek-operator", KubernetesJsonContext.Default.Lease))?.Spec?.HolderIdentity;
}
