using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.TestApiServer;

namespace DeepSeekV3.Operator.Tests.ApiServer;

/// <summary>A test API server with the DeepSeekDeployment CRD installed and a client of ours connected to it.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(KubernetesTestServer server, KubernetesClient client, string directory)
    {
        Server = server;
        Client = client;
        Directory = directory;
    }

    public KubernetesTestServer Server { get; }

    public KubernetesClient Client { get; }

    /// <summary>A scratch directory (kubeconfig, logs) removed on dispose.</summary>
    public string Directory { get; }

    public string Kubeconfig => Path.Combine(Directory, "kubeconfig");

    public static async Task<TestCluster> StartAsync(TestServerOptions? options = null)
    {
        var server = await KubernetesTestServer.StartAsync(options).ConfigureAwait(false);
        server.InstallCrd(DeepSeekV3.Operator.Crds.YamlText.ReadDocuments(File.ReadAllText(RepositoryPaths.Crd))[0].AsObject());
        string directory = Path.Combine(Path.GetTempPath(), "dsv3-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        server.WriteKubeconfig(Path.Combine(directory, "kubeconfig"), options?.Token);
        var client = new KubernetesClient(Kubernetes.Client.Kubeconfig.Load(Path.Combine(directory, "kubeconfig")));
        return new TestCluster(server, client, directory);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync().ConfigureAwait(false);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a process may still hold a log file open; the temp directory is cleaned by the OS
        }
    }
}
