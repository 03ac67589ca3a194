using System.Text.Json;
using DeepSeekV3.Worker.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSeekV3.Worker.Api;

/// <summary>
/// The OpenAI-compatible HTTP API: <c>POST /v1/chat/completions</c>, <c>POST /v1/completions</c> (JSON or SSE),
/// <c>GET /v1/models</c>, <c>GET /health</c>. Each handler checks the key, reads and validates the body, submits to
/// the engine, and answers; every failure is an OpenAI-shaped error with the right status.
/// </summary>
public sealed class OpenAiApi(ServingState state, ApiKeys keys, TimeProvider time)
{
    private readonly long _startedAt = time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Maps /health, and with <paramref name="completions"/> the OpenAI endpoints (the prefill and decode roles have none).</summary>
    public void Map(IEndpointRouteBuilder routes, bool completions = true)
    {
        routes.MapGet("/health", HealthAsync);
        if (completions)
        {
            routes.MapGet("/v1/models", ModelsAsync);
            routes.MapPost("/v1/chat/completions", context => CompleteAsync(context, CompletionKind.Chat));
            routes.MapPost("/v1/completions", context => CompleteAsync(context, CompletionKind.Text));
        }
    }

    private async Task HealthAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        var engine = state.Engine;
        context.Response.StatusCode = engine is null || state.Draining ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", state.Draining ? "draining" : engine is not null ? "ok" : state.LoadError is null ? "loading" : "failed");
        if (state.LoadError is { } error)
        {
            json.WriteString("error", error);
        }

        if (engine?.Stats is { } stats)
        {
            json.WriteNumber("running_requests", stats.Running);
            json.WriteNumber("waiting_requests", stats.Waiting);
            json.WriteNumber("kv_blocks_free", stats.FreeBlocks);
            json.WriteNumber("kv_blocks_total", stats.TotalBlocks);
        }

        json.WriteEndObject();
    }

    private async Task ModelsAsync(HttpContext context)
    {
        if (!keys.IsAuthorized(context))
        {
            await UnauthorizedAsync(context);
            return;
        }

        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        json.WriteStartObject();
        json.WriteString("id", state.ModelName);
        json.WriteString("object", "model");
        json.WriteNumber("created", _startedAt);
        json.WriteString("owned_by", "deepseekv3-cluster");
        if (state.Engine is { } engine)
        {
            json.WriteNumber("max_model_len", engine.MaxModelLength);
        }

        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private async Task CompleteAsync(HttpContext context, CompletionKind kind)
    {
        if (!keys.IsAuthorized(context))
        {
            await UnauthorizedAsync(context);
            return;
        }

        if (state.Engine is not { } engine || state.Draining)
        {
            context.Response.Headers.RetryAfter = "5";
            await OpenAiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "service_unavailable",
                state.Draining ? "this server is draining; retry on another" : "the model is still loading; retry shortly");
            return;
        }

        ParsedRequest request;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            request = kind == CompletionKind.Chat
                ? RequestReader.ReadChat(body.RootElement, engine.Tokenizer)
                : RequestReader.ReadCompletion(body.RootElement, engine.Tokenizer);
        }
        catch (JsonException e)
        {
            await OpenAiError.BadRequestAsync(context, $"the request body is not valid JSON: {e.Message}", null);
            return;
        }
        catch (InvalidRequestException e)
        {
            await OpenAiError.BadRequestAsync(context, e.Message, e.Parameter);
            return;
        }

        if (request.Model is { } model && model != state.ModelName)
        {
            await OpenAiError.WriteAsync(context, StatusCodes.Status404NotFound, "invalid_request_error",
                $"The model '{model}' does not exist; this server serves '{state.ModelName}'", "model", "model_not_found");
            return;
        }

        string id = (kind == CompletionKind.Chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        System.Threading.Channels.ChannelReader<GenerationEvent> events;
        try
        {
            events = engine.Submit(new GenerationRequest(id, request.PromptTokens, request.Sampling), context.RequestAborted);
        }
        catch (InvalidRequestException e)
        {
            await OpenAiError.BadRequestAsync(context, e.Message, e.Parameter);
            return;
        }
        catch (EngineOverloadedException e)
        {
            context.Response.Headers.RetryAfter = "1";
            await OpenAiError.WriteAsync(context, StatusCodes.Status429TooManyRequests, "rate_limit_error",
                $"the server is at capacity ({e.Message}); retry shortly", null, "rate_limit_exceeded");
            return;
        }

        var writer = new ResponseJson(kind, id, time.GetUtcNow().ToUnixTimeSeconds(), state.ModelName, engine.Tokenizer,
            request.Stream && request.IncludeUsage);
        if (request.Stream)
        {
            await CompletionStreamer.StreamAsync(context, events, writer, request);
        }
        else
        {
            await CompletionStreamer.RespondAsync(context, events, writer, request);
        }
    }

    private static Task UnauthorizedAsync(HttpContext context) =>
        OpenAiError.WriteAsync(context, StatusCodes.Status401Unauthorized, "authentication_error",
            "Incorrect API key provided: send 'Authorization: Bearer <key>'", null, "invalid_api_key");
}
