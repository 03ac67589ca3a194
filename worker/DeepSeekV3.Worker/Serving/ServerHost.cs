using System.Net;
using DeepSeekV3.Worker.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Builds the <c>dsv3 serve</c> web application: Kestrel on the given address, the OpenAI API, and a background
/// model load — the server answers (health 503, requests 503 with Retry-After) while loading and reports ready
/// only once the model is loaded.
/// </summary>
public static partial class ServerHost
{
    public static WebApplication Build(ServeOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(options.Host), options.Port));
        var app = builder.Build();

        var state = new ServingState(options.ModelName);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("dsv3.serve");
        var metrics = new Metrics.Dsv3Metrics();
        metrics.ObserveEngine(() => state.Engine?.Stats);
        var processMeter = Wire.Metrics.ProcessMetrics.Create();
        var exporter = new Wire.Metrics.PrometheusExporter([metrics.Meter, processMeter]);
        var loader = new ModelLoader(options, logger, metrics);
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
        new OpenAiApi(state, new ApiKeys(options.ApiKeys), TimeProvider.System).Map(app);

        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => LoadModel(loader, state, logger)));
        // Stop the engine only after Kestrel has drained its requests.
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            loader.Dispose();
            exporter.Dispose();
            metrics.Dispose();
            processMeter.Dispose();
        });
        return app;
    }

    // The endpoint label takes only these values, so its cardinality is fixed.
    private static readonly HashSet<string> RequestEndpoints = ["/v1/chat/completions", "/v1/completions", "/v1/models"];

    private static void LoadModel(ModelLoader loader, ServingState state, ILogger logger)
    {
        try
        {
            state.SetReady(loader.Load());
        }
        catch (Inference.Checkpoints.CheckpointException e)
        {
            state.SetFailed(e.Message);
            LogLoadFailed(logger, e.Message);
        }
        catch (IOException e)
        {
            state.SetFailed(e.Message);
            LogLoadFailed(logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "the model could not be loaded: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string reason);
}
