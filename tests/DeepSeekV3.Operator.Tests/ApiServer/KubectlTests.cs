using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Tests.EndToEnd;

namespace DeepSeekV3.Operator.Tests.ApiServer;

/// <summary>
/// kubectl, the real client, against the test API server: it must find the CRD through discovery, create a sample,
/// scale it through the scale subresource and read it back — the commands an SRE types.
/// </summary>
public class KubectlTests
{
    [Fact]
    public async Task Kubectl_AppliesASampleScalesItAndGetsItByShortName()
    {
        Assert.True(File.Exists("/usr/bin/kubectl"), "kubectl is needed (it is on this machine image)");
        await using var cluster = await TestCluster.StartAsync();

        var apply = await KubectlAsync(cluster, "apply", "--validate=false", "-f", RepositoryPaths.Sample("v3-fp8-1x8-h200.yaml"));
        var scale = await KubectlAsync(cluster, "scale", "-n", "inference", "dsd/deepseek-v3", "--replicas=5");
        var get = await KubectlAsync(cluster, "get", "-n", "inference", "dsd", "deepseek-v3", "-o", "json");

        Assert.True(apply.ExitCode == 0, apply.Output);
        Assert.Contains("deepseekdeployment.deepseekv3.io/deepseek-v3 created", apply.Output, StringComparison.Ordinal);
        Assert.True(scale.ExitCode == 0, scale.Output);
        Assert.Contains("scaled", scale.Output, StringComparison.Ordinal);
        Assert.True(get.ExitCode == 0, get.Output);
        var fetched = JsonNode.Parse(get.Output)!;
        Assert.Equal(5, (int)fetched["spec"]!["decode"]!["replicas"]!);
        Assert.Equal(141, (int)fetched["spec"]!["decode"]!["gpuMemoryGiB"]!);
        Assert.Equal(5, (await cluster.Deployment("deepseek-v3"))!.Spec.Decode.Replicas);
    }

    private static Task<(int ExitCode, string Output)> KubectlAsync(TestCluster cluster, params string[] arguments) =>
        PeerProcess.RunAsync("/usr/bin/kubectl",
            ["--kubeconfig", cluster.Kubeconfig, "--cache-dir", Path.Combine(cluster.Directory, "kube-cache"), .. arguments]);
}
