using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Desired;

namespace DeepSeekV3.Operator.Tests.Desired;

public class DesiredStateTests
{
    [Fact]
    public void Build_EveryChild_HasOneControllerOwnerStandardLabelsAndAValidName()
    {
        var deployment = Fixtures.H200(prefill: 1, decode: 3);

        var children = DesiredState.Build(deployment).All.ToList();

        Assert.Equal(4, children.OfType<StatefulSet>().Count());
        Assert.Equal(children.Count, children.Select(c => (c.Kind, c.Metadata.Name)).Distinct().Count());
        foreach (var child in children)
        {
            var owner = Assert.Single(child.Metadata.OwnerReferences!);
            Assert.True(owner.Controller);
            Assert.Equal(deployment.Metadata.Uid, owner.Uid);
            Assert.Equal("DeepSeekDeployment", owner.Kind);
            Assert.Equal("inference", child.Metadata.Namespace);
            Assert.Equal("deepseek-operator", child.Metadata.Labels![Labels.ManagedBy]);
            Assert.Equal("v3", child.Metadata.Labels[Labels.Instance]);
            Assert.InRange(child.Metadata.Name!.Length, 1, 63);
            Assert.NotNull(DesiredState.HashOf(child));
        }
    }

    [Fact]
    public void Build_GroupPods_LearnRankGroupSizeLeaderAndPeersFromTheirEnvironment()
    {
        var deployment = Fixtures.H200(decode: 2);
        deployment.Spec.Decode.NodesPerReplica = 2;

        var group = DesiredState.Build(deployment).Groups.Single(g => g.Metadata.Name == "v3-decode-1");
        var pod = group.Spec!.Template!.Spec!;
        var env = pod.Containers[0].Env!.ToDictionary(e => e.Name!);

        Assert.Equal(2, group.Spec.Replicas);
        Assert.Equal("Parallel", group.Spec.PodManagementPolicy);
        Assert.Equal("OnDelete", group.Spec.UpdateStrategy!.Type);
        Assert.Equal("decode", env["DSV3_ROLE"].Value);
        Assert.Equal("1", env["DSV3_GROUP"].Value);
        Assert.Equal("2", env["DSV3_GROUP_SIZE"].Value);
        Assert.Equal("2", env["LWS_GROUP_SIZE"].Value);
        Assert.Equal("metadata.labels['apps.kubernetes.io/pod-index']", env["DSV3_RANK"].ValueFrom!.FieldRef!.FieldPath);
        Assert.Equal("v3-decode-1-0.v3-decode.inference.svc:50051", env["DSV3_LEADER_ADDRESS"].Value);
        Assert.Equal(env["DSV3_LEADER_ADDRESS"].Value, env["LWS_LEADER_ADDRESS"].Value);
        Assert.Equal("v3-decode-1-0.v3-decode.inference.svc:50051,v3-decode-1-1.v3-decode.inference.svc:50051", env["DSV3_PEERS"].Value);
        Assert.Equal("8", pod.Containers[0].Resources!.Limits!["nvidia.com/gpu"]);
        Assert.Equal(3600, pod.Containers[0].StartupProbe!.PeriodSeconds * pod.Containers[0].StartupProbe!.FailureThreshold);
        Assert.NotNull(pod.Containers[0].ReadinessProbe!.Grpc);
        Assert.Equal("v3-decode", pod.Subdomain);
    }

    [Fact]
    public void Build_Revision_ChangesWithImageOrModelOnlyAndIsSharedByAllGroups()
    {
        var deployment = Fixtures.H200(prefill: 2, decode: 2);
        string Revision() => DesiredState.Build(deployment).Groups.Select(WorkerGroupBuilder.RevisionOf).Distinct().Single();

        string first = Revision();
        deployment.Spec.Decode.Resources = new ResourceRequirements { Requests = new() { ["memory"] = "1Ti" } };
        string afterResources = Revision();
        deployment.Spec.Image = "ghcr.io/deepseekv3-cluster/dsv3:0.2.0";
        string afterImage = Revision();

        Assert.Equal(first, afterResources);
        Assert.NotEqual(first, afterImage);
    }

    [Fact]
    public void Build_SpecHash_ChangesOnlyForTheChildrenASpecChangeTouches()
    {
        var deployment = Fixtures.H200(prefill: 1, decode: 2);
        var before = DesiredState.Build(deployment).All.ToDictionary(c => c.Kind + "/" + c.Metadata.Name, c => DesiredState.HashOf(c));
        Assert.Equal(before, DesiredState.Build(deployment).All.ToDictionary(c => c.Kind + "/" + c.Metadata.Name, c => DesiredState.HashOf(c)));

        deployment.Spec.Router.Replicas = 3;
        var after = DesiredState.Build(deployment).All.ToDictionary(c => c.Kind + "/" + c.Metadata.Name, c => DesiredState.HashOf(c));

        var changed = before.Keys.Where(k => before[k] != after[k]).ToList();
        Assert.Equal(["Deployment/v3-router"], changed);
    }

    [Fact]
    public void Build_NetworkPolicy_AdmitsOnlyThisDeploymentsPodsToWorkerGrpc()
    {
        var policy = DesiredState.Build(Fixtures.H200()).NetworkPolicy;

        var grpcRules = policy.Spec!.Ingress!.Where(r => r.Ports!.Any(p => p.Port!.Value.ToString() == "50051")).ToList();

        Assert.Equal("v3", policy.Spec.PodSelector!.MatchLabels![Labels.Instance]);
        var grpcRule = Assert.Single(grpcRules);
        Assert.Equal("v3", Assert.Single(grpcRule.From!).PodSelector!.MatchLabels![Labels.Instance]);
        Assert.All(policy.Spec.Ingress!.Where(r => r.From is null), r => Assert.Equal(["8080"], r.Ports!.Select(p => p.Port!.Value.ToString())));
    }
}
