using System.Net;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Runtime;
using DeepSeekV3.Operator.Metrics;
using DeepSeekV3.Wire.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// The running operator: informers for DeepSeekDeployments and their children (warm on every replica, so a
/// standby takes over with a full cache), the work queue and its workers (only on the leader when leader election
/// is on), Events, and an HTTP endpoint with /metrics, /healthz and /readyz. SIGTERM stops the workers after
/// their current reconcile and releases the Lease.
/// </summary>
public static class OperatorHost
{
    /// <summary>Runs until cancelled (exit 0) or until leadership is lost (exit 1: the pod restarts and campaigns again).</summary>
    public static async Task<int> RunAsync(OperatorOptions options, CancellationToken stop)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss.fff "; });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.BindAddress), options.MetricsPort));
        await using var app = builder.Build();
        var logs = app.Services.GetRequiredService<ILoggerFactory>();
        var logger = logs.CreateLogger("deepseek-operator");

        var connection = ClusterConnection.Discover(options.Kubeconfig, options.Context);
        using var client = new KubernetesClient(connection);
        var cache = new ClusterCache(client, logs, options.WatchNamespace);
        using var queue = new WorkQueue<string>();
        var events = new EventRecorder(client, "deepseek-operator", options.Identity, logs.CreateLogger("events"));
        var reconciler = new DeepSeekDeploymentReconciler(client, cache, events, TimeProvider.System, logs.CreateLogger("reconciler"))
        {
            DrainPeriod = options.DrainPeriod,
        };
        using var metrics = new OperatorMetrics();
        LeaderElector? elector = options.LeaderElect
            ? new LeaderElector(client, options.LeaseNamespace ?? connection.Namespace, options.LeaseName, options.Identity, logs.CreateLogger("leader"))
            {
                LeaseDuration = options.LeaseDuration,
                RenewDeadline = options.RenewDeadline,
                RetryPeriod = options.RetryPeriod,
            }
            : null;
        metrics.Observe(() => queue.Depth, () => elector?.IsLeader ?? true,
            () => cache.Deployments.List().GroupBy(d => d.Status?.Phase?.ToString() ?? "Unknown").Select(g => KeyValuePair.Create(g.Key, g.Count())));
        using var exporter = new PrometheusExporter([metrics.Meter, ProcessMetrics.Create()]);

        cache.Deployments.Subscribe((old, current) =>
        {
            // Status-only writes (ours) change the resourceVersion but not the generation: no reconcile for them.
            var changed = current ?? old!;
            if (old is null || current is null || old.Metadata.Generation != current.Metadata.Generation
                || !SameEntries(old.Metadata.Annotations, current.Metadata.Annotations) || old.Metadata.DeletionTimestamp != current.Metadata.DeletionTimestamp)
            {
                queue.Add($"{changed.Metadata.Namespace}/{changed.Metadata.Name}");
            }
        });
        cache.OnChildChange(queue.Add);

        bool synced = false;
        app.MapGet("/metrics", exporter.HandleAsync);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", () => synced ? Results.Text("ok") : Results.Text("caches not synced", statusCode: 503));
        await app.StartAsync(stop).ConfigureAwait(false);
        logger.LogInformation("deepseek-operator {Identity}: API server {Server}, watching {Namespace}, metrics on :{Port}",
            options.Identity, connection.Server, options.WatchNamespace ?? "all namespaces", options.MetricsPort);

        using var informersStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var informers = cache.All.Select(i => Task.Run(() => i.RunAsync(informersStop.Token), CancellationToken.None)).ToList();
        int exitCode = 0;
        try
        {
            await Task.WhenAll(cache.All.Select(i => i.Synced)).WaitAsync(stop).ConfigureAwait(false);
            synced = true;
            logger.LogInformation("caches synced: {Count} DeepSeekDeployments", cache.Deployments.List().Count);

            var loop = new ControllerLoop(queue, reconciler, metrics, logs.CreateLogger("controller"));
            Task Lead(CancellationToken leading)
            {
                foreach (var deployment in cache.Deployments.List())
                {
                    queue.Add($"{deployment.Metadata.Namespace}/{deployment.Metadata.Name}");
                }

                return loop.RunAsync(options.Workers, leading);
            }

            if (elector is null)
            {
                await Lead(stop).ConfigureAwait(false);
            }
            else
            {
                await elector.RunAsync(Lead, stop).ConfigureAwait(false);
                if (!stop.IsCancellationRequested)
                {
                    logger.LogError("leadership lost; exiting so that a fresh start campaigns again");
                    exitCode = 1;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // shutdown while waiting for the caches
        }
        finally
        {
            queue.ShutDown();
            await informersStop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(informers).ConfigureAwait(false);
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        logger.LogInformation("deepseek-operator stopped");
        return exitCode;
    }

    private static bool SameEntries(Dictionary<string, string>? a, Dictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? []).All(kv => b != null && b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
