using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>
/// A Kubernetes API server for tests, on real HTTP over loopback (the operator runs as a separate process against
/// it): the store, the REST surface, discovery for kubectl, and the workload simulator. Tests read and change the
/// world directly through <see cref="Store"/> and <see cref="Workloads"/>.
/// </summary>
public sealed class KubernetesTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly ApiHandler _handler;

    private KubernetesTestServer(WebApplication app, ApiHandler handler, ObjectStore store, KindRegistry kinds, WorkloadSimulator? workloads, Uri baseAddress)
    {
        _app = app;
        _handler = handler;
        Store = store;
        Kinds = kinds;
        Workloads = workloads;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public ObjectStore Store { get; }

    public KindRegistry Kinds { get; }

    public WorkloadSimulator? Workloads { get; }

    public static async Task<KubernetesTestServer> StartAsync(TestServerOptions? options = null)
    {
        options ??= new TestServerOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var store = new ObjectStore();
        var kinds = new KindRegistry();
        var handler = new ApiHandler(store, kinds, options);
        app.Run(handler.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var workloads = options.SimulateWorkloads ? new WorkloadSimulator(store, kinds, options.PodReadyDelay) : null;
        return new KubernetesTestServer(app, handler, store, kinds, workloads, new Uri(address));
    }

    /// <summary>The next <paramref name="count"/> requests are answered with <paramref name="code"/> (an overloaded or failing server).</summary>
    public void InjectFailures(int count, HttpStatusCode code, int? retryAfterSeconds = null)
    {
        for (int i = 0; i < count; i++)
        {
            _handler.Faults.Enqueue((code, retryAfterSeconds));
        }
    }

    /// <summary>Creates a CustomResourceDefinition (as JSON) and serves its kind, as the API server does.</summary>
    public ApiKind InstallCrd(JsonObject crd)
    {
        Store.Create(Kinds.Get("customresourcedefinitions"), null, crd);
        var kind = KindRegistry.FromCrd(crd);
        Kinds.Register(kind);
        return kind;
    }

    /// <summary>A kubeconfig file pointing at this server (for the operator binary and kubectl).</summary>
    public string WriteKubeconfig(string path, string? token = null, string @namespace = "default")
    {
        string user = token is null ? "{}" : "{token: " + token + "}";
        string server = BaseAddress.ToString().TrimEnd('/');
        File.WriteAllLines(path,
        [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: test",
            "  cluster: {server: \"" + server + "\"}",
            "users:",
            "- name: test",
            "  user: " + user,
            "contexts:",
            "- name: test",
            "  context: {cluster: test, user: test, namespace: " + @namespace + "}",
            "current-context: test",
        ]);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        Store.DisconnectWatches();
        if (Workloads is not null)
        {
            await Workloads.DisposeAsync().ConfigureAwait(false);
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
