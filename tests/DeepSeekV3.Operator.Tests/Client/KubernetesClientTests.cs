using System.Diagnostics;
using System.Net;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.TestApiServer;
using DeepSeekV3.Operator.Tests.ApiServer;

namespace DeepSeekV3.Operator.Tests.Client;

public class KubernetesClientTests
{
    [Fact]
    public async Task TooManyRequests_IsRetriedAfterRetryAfter()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Server.InjectFailures(2, HttpStatusCode.TooManyRequests, retryAfterSeconds: 1);

        var clock = Stopwatch.StartNew();
        var pods = await cluster.Client.ListAsync(ResourceKind.Pods, "default", KubernetesJsonContext.Default.KubernetesListPod);

        Assert.Empty(pods.Items);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"answered after {clock.Elapsed.TotalSeconds:F2} s: the Retry-After of two 429s was not honoured");
    }

    [Fact]
    public async Task ServerErrors_AreRetriedAFewTimesThenReported()
    {
        await using var cluster = await TestCluster.StartAsync();
        cluster.Server.InjectFailures(3, HttpStatusCode.ServiceUnavailable);
        var recovered = await cluster.Client.ListAsync(ResourceKind.Pods, "default", KubernetesJsonContext.Default.KubernetesListPod);
        cluster.Server.InjectFailures(10, HttpStatusCode.ServiceUnavailable);

        var failed = await Assert.ThrowsAsync<KubernetesApiException>(() => cluster.Client.ListAsync(ResourceKind.Pods, "default", KubernetesJsonContext.Default.KubernetesListPod));

        Assert.Empty(recovered.Items);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("InternalError", failed.Reason);
    }

    [Fact]
    public async Task Kubeconfig_TokenFileRelativeToTheFileAndTheContextNamespaceAreUsed()
    {
        await using var server = await KubernetesTestServer.StartAsync(new TestServerOptions { Token = "from-file" });
        string directory = Directory.CreateTempSubdirectory("dsv3-kubeconfig").FullName;
        File.WriteAllText(Path.Combine(directory, "token"), "from-file\n");
        string path = Path.Combine(directory, "config");
        File.WriteAllText(path, $$$"""
            apiVersion: v1
            kind: Config
            current-context: other
            clusters:
            - name: c
              cluster: {server: "{{{server.BaseAddress}}}"}
            users:
            - name: u
              user: {tokenFile: token}
            - name: plugin
              user: {exec: {command: aws}}
            contexts:
            - name: other
              context: {cluster: c, user: plugin}
            - name: mine
              context: {cluster: c, user: u, namespace: team-a}
            """);

        var connection = Kubeconfig.Load(path, "mine");
        using var client = new KubernetesClient(connection);
        var pods = await client.ListAsync(ResourceKind.Pods, connection.Namespace, KubernetesJsonContext.Default.KubernetesListPod);
        var plugin = Assert.Throws<InvalidOperationException>(() => Kubeconfig.Load(path));
        var missing = Assert.Throws<InvalidOperationException>(() => Kubeconfig.Load(path, "nope"));

        Assert.Equal("team-a", connection.Namespace);
        Assert.Empty(pods.Items);
        Assert.Contains("exec or auth-provider plugin", plugin.Message, StringComparison.Ordinal);
        Assert.Contains("context 'nope' not found", missing.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task BearerToken_FromAFileIsReadAgainAfterAMinute()
    {
        string path = Path.GetTempFileName();
        File.WriteAllText(path, "first");
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var seen = new List<string>();
        using var handler = new BearerTokenHandler(() => File.ReadAllText(path), new RecordingHandler(seen), time);
        using var http = new HttpClient(handler);

        await http.GetAsync(new Uri("http://unused.invalid/a"));
        File.WriteAllText(path, "rotated");
        await http.GetAsync(new Uri("http://unused.invalid/b"));
        time.Now += TimeSpan.FromSeconds(61);
        await http.GetAsync(new Uri("http://unused.invalid/c"));

        Assert.Equal(["Bearer first", "Bearer first", "Bearer rotated"], seen);
        File.Delete(path);
    }

    [Fact]
    public void InCluster_ReadsTheServiceAccountFilesAndTheServiceEnvironment()
    {
        string directory = Directory.CreateTempSubdirectory("dsv3-serviceaccount").FullName;
        File.WriteAllText(Path.Combine(directory, "token"), "sa-token\n");
        File.WriteAllText(Path.Combine(directory, "namespace"), "deepseek-system\n");
        string? host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"), port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        try
        {
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", "fd00::1");
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_PORT", "6443");

            var connection = InClusterConfig.Load(directory);

            Assert.True(InClusterConfig.IsAvailable(directory));
            Assert.Equal(new Uri("https://[fd00::1]:6443"), connection.Server);
            Assert.Equal("deepseek-system", connection.Namespace);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", host);
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_PORT", port);
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class RecordingHandler(List<string> seen) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Add(request.Headers.Authorization!.ToString());
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
