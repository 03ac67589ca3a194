using System.Diagnostics.Metrics;
using System.Net;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tokenization;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Metrics;
using DeepSeekV3.Worker.Api;
using DeepSeekV3.Worker.Routing;
using DeepSeekV3.Worker.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Builds the <c>dsv3 serve</c> web application for a role. Every role serves HTTP on the port (health, /metrics; the
/// OpenAI API on the combined and router roles); the prefill, decode and combined roles also serve gRPC (HTTP/2) on
/// the gRPC port: their worker service, Control and grpc.health.v1. Workers load the model in the background and
/// report ready only once it is loaded; the router loads only config.json and the tokenizer. Stopping (SIGTERM)
/// drains first: no new requests, in-flight ones finish (at most 30 s).
/// </summary>
public static partial class ServerHost
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    // The endpoint label takes only these values, so its cardinality is fixed.
    private static readonly HashSet<string> RequestEndpoints = ["/v1/chat/completions", "/v1/completions", "/v1/models"];

    public static WebApplication Build(ServeOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning); // no line per request
        var address = IPAddress.Parse(options.Host);
        bool servesGrpc = options.Role != WorkerRole.Router;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port);
            if (servesGrpc)
            {
                kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
                kestrel.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
                kestrel.Listen(address, options.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });
        var app = builder.Build();

        var state = new ServingState(options.ModelName);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dsv3.serve");
        var metrics = new Metrics.Dsv3Metrics();
        metrics.ObserveEngine(() => state.Engine?.Stats);
        var grpcMetrics = new GrpcMetrics();
        var processMeter = ProcessMetrics.Create();
        var exporter = new PrometheusExporter([metrics.Meter, grpcMetrics.Meter, processMeter]);
        var loader = new ModelLoader(options, logger, metrics);
        var dispatchDuration = options.Group.Size > 1 ? metrics.ObserveExperts(() => TotalExpertLoad(loader.Model)) : null;
        var health = new HealthService();
        health.SetStatus("", Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing);
        RemoteGenerationService? router = null;

        app.Use(async (context, next) =>
        {
            await next(context);
            if (RequestEndpoints.Contains(context.Request.Path.Value ?? ""))
            {
                metrics.Requests.Add(1, new KeyValuePair<string, object?>("endpoint", context.Request.Path.Value),
                    new KeyValuePair<string, object?>("status", context.Response.StatusCode));
            }
        });
        app.MapGet("/metrics", exporter.HandleAsync);
        new OpenAiApi(state, new ApiKeys(options.ApiKeys), TimeProvider.System)
            .Map(app, completions: options.Role is WorkerRole.Combined or WorkerRole.Router);
        if (servesGrpc)
        {
            var binder = new GrpcServiceBinder(app, new GrpcServerOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, Metrics = grpcMetrics });
            Engine? LocalEngine() => state.Draining ? null : state.Engine as Engine;
            if (options.Role is WorkerRole.Prefill or WorkerRole.Combined)
            {
                new PrefillService(LocalEngine).Bind(binder);
            }

            if (options.Role is WorkerRole.Decode or WorkerRole.Combined)
            {
                new DecodeService(LocalEngine).Bind(binder);
            }

            new ControlService(state, options.Role, health, TimeProvider.System, options.Revision).Bind(binder);
            if (options.Group.Size > 1)
            {
                new Experts.ExpertService(() => loader.Model, () => loader.ExpertBackend, () => loader.Peers).Bind(binder);
            }

            health.Bind(app);
        }

        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() =>
        {
            if (options.Role == WorkerRole.Router)
            {
                router = StartRouter(options, state, logger);
            }
            else if (LoadModel(loader, state, logger) is { } engine)
            {
                if (options.Group.Size > 1)
                {
                    // The other ranks wait for this before they take traffic, as this rank waits for them (AwaitGroup).
                    health.SetStatus(Experts.GroupHealth.ExpertsReady, Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
                }

                if (AwaitGroup(options, state, logger, app.Lifetime.ApplicationStopping))
                {
                    state.SetReady(engine);
                    health.SetStatus("", Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
                    MonitorGroup(options, health, logger, app.Lifetime.ApplicationStopping);
                    StartExpertUpkeep(options, loader, dispatchDuration, logger, app.Lifetime.ApplicationStopping);
                }
            }
        }));
        app.Lifetime.ApplicationStopping.Register(() => Drain(state, health));
        // Stop the engine only after Kestrel has drained its requests.
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            router?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            loader.Dispose();
            exporter.Dispose();
            metrics.Dispose();
            grpcMetrics.Dispose();
            processMeter.Dispose();
        });
        return app;
    }

    /// <summary>Tokens routed to each expert summed over the MoE layers (null before the model is loaded).</summary>
    private static long[]? TotalExpertLoad(Transformer? model)
    {
        if (model is null)
        {
            return null;
        }

        var total = new long[model.Config.NRoutedExperts];
        foreach (int layer in model.MoeLayers)
        {
            var load = model.ExpertLoad(layer);
            for (int e = 0; e < total.Length; e++)
            {
                total[e] += load[e];
            }
        }

        return total;
    }

    /// <summary>Records each expert exchange's latency and, on a leader with redundant slots, re-balances periodically.</summary>
    private static void StartExpertUpkeep(ServeOptions options, ModelLoader loader, Histogram<double>? dispatchDuration, ILogger logger, CancellationToken stopping)
    {
        if (loader.Peers is not { } peers)
        {
            return;
        }

        peers.ExchangeObserved = elapsed => dispatchDuration?.Record(elapsed.TotalSeconds);
        if (options.RebalanceInterval > TimeSpan.Zero && options.Group.IsLeader && options.Group.RedundantExperts > 0)
        {
            var rebalancer = new Experts.ExpertRebalancer(loader.Model!, peers, options.Group, logger);
            _ = rebalancer.RunAsync(options.RebalanceInterval, stopping).ContinueWith(_ => { }, TaskScheduler.Default); // ends with the server
        }
    }

    /// <summary>
    /// While the group is complete this rank reports SERVING; a rank that goes missing turns it NOT_SERVING (its
    /// requests would fail at the next MoE layer) until the rank is back or the operator restarts the group.
    /// </summary>
    private static void MonitorGroup(ServeOptions options, HealthService health, ILogger logger, CancellationToken stopping)
    {
        if (options.Group.Size == 1)
        {
            return;
        }

        var group = new Experts.GroupHealth(options.Group);
        _ = group.MonitorAsync(TimeSpan.FromSeconds(2), (complete, why) =>
        {
            health.SetStatus("", complete
                ? Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving
                : Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing);
            LogGroupChanged(logger, complete ? "complete again" : "incomplete: " + why);
        }, stopping).ContinueWith(_ => group.Dispose(), TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "expert-parallel group {State}")]
    private static partial void LogGroupChanged(ILogger logger, string state);

    /// <summary>
    /// Every rank of an expert-parallel group runs attention for its own requests, so each takes traffic only when
    /// every other rank serves its experts; a rank that never comes up within the group timeout makes this one fail
    /// to load, with the missing ranks in the message.
    /// </summary>
    private static bool AwaitGroup(ServeOptions options, ServingState state, ILogger logger, CancellationToken stopping)
    {
        if (options.Group.Size == 1)
        {
            return true;
        }

        using var group = new Experts.GroupHealth(options.Group);
        string? failure;
        try
        {
            failure = group.WaitCompleteAsync(options.GroupTimeout, stopping).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            failure = "stopped while waiting for the group";
        }

        if (failure is null)
        {
            LogGroupComplete(logger, options.Group.Size);
            return true;
        }

        state.SetFailed(failure);
        LogLoadFailed(logger, failure);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "expert-parallel group complete: {Ranks} ranks serve their experts")]
    private static partial void LogGroupComplete(ILogger logger, int ranks);

    /// <summary>Refuses new work and waits (bounded) for in-flight requests to finish.</summary>
    private static void Drain(ServingState state, HealthService health)
    {
        state.Draining = true;
        health.SetStatus("", Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing);
        var deadline = DateTime.UtcNow + DrainTimeout;
        while (state.Engine?.Stats is { } stats && stats.Running + stats.Waiting > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }
    }

    private static RemoteGenerationService? StartRouter(ServeOptions options, ServingState state, ILogger logger)
    {
        try
        {
            var config = ModelConfig.Load(options.ModelDirectory);
            var tokenizer = File.Exists(Path.Combine(options.ModelDirectory, "tokenizer.json")) ? Tokenizer.Load(options.ModelDirectory) : null;
            var router = new RemoteGenerationService(config, tokenizer, options.PrefillWorkers, options.DecodeWorkers, options.RoutingPolicy);
            state.SetReady(router);
            LogRouterReady(logger, options.PrefillWorkers.Count, options.DecodeWorkers.Count);
            return router;
        }
        catch (Inference.Checkpoints.CheckpointException e)
        {
            state.SetFailed(e.Message);
            LogLoadFailed(logger, e.Message);
            return null;
        }
    }

    /// <summary>The loaded engine, or null with the reason in the state (the server stays up, not ready).</summary>
    private static Engine? LoadModel(ModelLoader loader, ServingState state, ILogger logger)
    {
        try
        {
            return loader.Load();
        }
        catch (Exception e) when (e is Inference.Checkpoints.CheckpointException or IOException)
        {
            state.SetFailed(e.Message);
            LogLoadFailed(logger, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the model could not be loaded: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "router ready: {Prefill} prefill and {Decode} decode workers")]
    private static partial void LogRouterReady(ILogger logger, int prefill, int decode);
}
