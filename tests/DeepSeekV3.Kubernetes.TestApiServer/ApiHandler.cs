using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>
/// The REST surface over <see cref="ObjectStore"/>: verbs by HTTP method (api-concepts.md "API verbs"), list and
/// watch by query (watch, resourceVersion, labelSelector, fieldSelector, timeoutSeconds, allowWatchBookmarks),
/// status and scale subresources, merge patches, metav1.Status errors, optional bearer-token authentication.
/// </summary>
public sealed class ApiHandler
{
    private readonly ObjectStore _store;
    private readonly KindRegistry _kinds;
    private readonly TestServerOptions _options;

    public ApiHandler(ObjectStore store, KindRegistry kinds, TestServerOptions options)
    {
        _store = store;
        _kinds = kinds;
        _options = options;
    }

    /// <summary>Answers queued here are given to the next requests instead of serving them (429s, 5xx).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(HttpStatusCode Code, int? RetryAfterSeconds)> Faults { get; } = new();

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            if (_options.Token is { } token && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            {
                throw new ApiException(HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized");
            }

            _options.OnRequest?.Invoke(context.Request.Method, context.Request.Path.Value ?? "");
            if (Faults.TryDequeue(out var fault))
            {
                if (fault.RetryAfterSeconds is { } seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                throw new ApiException(fault.Code, fault.Code == HttpStatusCode.TooManyRequests ? "TooManyRequests" : "InternalError", "injected by the test");
            }

            await DispatchAsync(context).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteAsync(context, e.Code, e.ToStatus()).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteAsync(context, HttpStatusCode.BadRequest, ApiException.BadRequest($"the body is not valid JSON: {e.Message}").ToStatus()).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or ArgumentException && !context.Response.HasStarted)
        {
            // A request this server cannot make sense of: a 500 Status that says why, instead of a bare reset.
            await WriteAsync(context, HttpStatusCode.InternalServerError, new ApiException(HttpStatusCode.InternalServerError, "InternalError", e.ToString()).ToStatus()).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        string method = context.Request.Method;
        switch (path.TrimEnd('/'))
        {
            case "/api" when method == "GET":
                await WriteAsync(context, HttpStatusCode.OK, Discovery.CoreVersions()).ConfigureAwait(false);
                return;
            case "/apis" when method == "GET":
                await WriteAsync(context, HttpStatusCode.OK, Discovery.Groups(_kinds.All)).ConfigureAwait(false);
                return;
            case "/version" when method == "GET":
                await WriteAsync(context, HttpStatusCode.OK, new JsonObject { ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0-deepseekv3-test", ["platform"] = "linux/amd64" }).ConfigureAwait(false);
                return;
            case "/healthz" or "/readyz" or "/livez":
                context.Response.StatusCode = 200;
                await context.Response.WriteAsync("ok").ConfigureAwait(false);
                return;
            default:
                break;
        }

        var segments = path.Trim('/').Split('/');
        if (method == "GET" && (segments is ["api", _] || segments is ["apis", _, _]))
        {
            string group = segments[0] == "api" ? "" : segments[1];
            await WriteAsync(context, HttpStatusCode.OK, Discovery.Resources(group, segments[^1], _kinds.All)).ConfigureAwait(false);
            return;
        }

        var target = RequestTarget.Parse(path) ?? throw new ApiException(HttpStatusCode.NotFound, "NotFound", $"the server could not find the requested resource ({path})");
        var kind = _kinds.Find(target.Group, target.Version, target.Plural)
            ?? throw new ApiException(HttpStatusCode.NotFound, "NotFound", $"the server could not find the requested resource ({target.Plural}.{target.Group})");
        var query = context.Request.Query;
        if (target.Name is null)
        {
            switch (method)
            {
                case "GET" when query["watch"] is { Count: > 0 } watch && watch[0] is "true" or "1":
                    await WatchAsync(context, kind, target.Namespace).ConfigureAwait(false);
                    return;
                case "GET":
                    var (items, version) = _store.List(kind, target.Namespace, LabelQuery.Parse(query["labelSelector"]), FieldFilter(query["fieldSelector"]));
                    await WriteAsync(context, HttpStatusCode.OK, new JsonObject
                    {
                        ["apiVersion"] = kind.ApiVersion,
                        ["kind"] = kind.Kind + "List",
                        ["metadata"] = new JsonObject { ["resourceVersion"] = version },
                        ["items"] = new JsonArray([.. items]),
                    }).ConfigureAwait(false);
                    return;
                case "POST":
                    var created = _store.Create(kind, target.Namespace, await BodyAsync(context).ConfigureAwait(false));
                    if (kind.Kind == "CustomResourceDefinition")
                    {
                        _kinds.Register(KindRegistry.FromCrd(created));
                    }

                    await WriteAsync(context, HttpStatusCode.Created, created).ConfigureAwait(false);
                    return;
                default:
                    throw new ApiException(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", $"{method} is not supported on a collection");
            }
        }

        string name = target.Name;
        switch (target.Subresource, method)
        {
            case (null, "GET"):
                await WriteAsync(context, HttpStatusCode.OK, _store.Get(kind, target.Namespace, name) ?? throw ApiException.NotFound(kind, name)).ConfigureAwait(false);
                return;
            case (null or "status", "PUT"):
                var updated = _store.Update(kind, target.Namespace, name, await BodyAsync(context).ConfigureAwait(false), Part(kind, target.Subresource));
                await WriteAsync(context, HttpStatusCode.OK, updated).ConfigureAwait(false);
                return;
            case (null or "status", "PATCH"):
                RequireMergePatch(context);
                var patched = _store.Patch(kind, target.Namespace, name, await BodyAsync(context).ConfigureAwait(false), Part(kind, target.Subresource));
                await WriteAsync(context, HttpStatusCode.OK, patched).ConfigureAwait(false);
                return;
            case ("status", "GET"):
                await WriteAsync(context, HttpStatusCode.OK, _store.Get(kind, target.Namespace, name) ?? throw ApiException.NotFound(kind, name)).ConfigureAwait(false);
                return;
            case (null, "DELETE"):
                await WriteAsync(context, HttpStatusCode.OK, _store.Delete(kind, target.Namespace, name)).ConfigureAwait(false);
                return;
            case ("scale", _) when kind.Scale is not null:
                await ScaleAsync(context, kind, target.Namespace, name, method).ConfigureAwait(false);
                return;
            default:
                throw new ApiException(HttpStatusCode.NotFound, "NotFound", $"{method} {target.Subresource ?? "object"} is not served for {kind.Plural}");
        }
    }

    private async Task ScaleAsync(HttpContext context, ApiKind kind, string? @namespace, string name, string method)
    {
        var item = _store.Get(kind, @namespace, name) ?? throw ApiException.NotFound(kind, name);
        var scale = ScaleOf(kind, item);
        if (method is "PUT" or "PATCH")
        {
            if (method == "PATCH")
            {
                RequireMergePatch(context);
            }

            var body = await BodyAsync(context).ConfigureAwait(false);
            var wanted = method == "PUT" ? body : MergePatch.Apply(scale, body)!.AsObject();
            if (wanted["spec"]?["replicas"] is not JsonValue replicasValue || !replicasValue.TryGetValue(out long replicas) || replicas < 0)
            {
                throw ApiException.Invalid(kind, name, "spec.replicas: Invalid value: must be a non-negative integer");
            }

            var patch = new JsonObject();
            JsonPaths.Set(patch, kind.Scale!.SpecReplicasPath, replicas);
            if ((string?)wanted["metadata"]?["resourceVersion"] is { Length: > 0 } expected)
            {
                patch["metadata"] = new JsonObject { ["resourceVersion"] = expected };
            }

            scale = ScaleOf(kind, _store.Patch(kind, @namespace, name, patch, WritePart.Main));
        }
        else if (method != "GET")
        {
            throw new ApiException(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", $"{method} is not supported on scale");
        }

        await WriteAsync(context, HttpStatusCode.OK, scale).ConfigureAwait(false);
    }

    /// <summary>autoscaling/v1 Scale of an object, read through the kind's scale paths.</summary>
    public static JsonObject ScaleOf(ApiKind kind, JsonObject item)
    {
        var paths = kind.Scale!;
        string? selector = paths.LabelSelectorPath is { } selectorPath
            ? (string?)JsonPaths.Get(item, selectorPath)
            : item["spec"]?["selector"]?["matchLabels"] is JsonObject match ? string.Join(',', match.Select(kv => $"{kv.Key}={kv.Value}")) : null;
        var meta = item["metadata"]!;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(), ["namespace"] = meta["namespace"]?.DeepClone(), ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(), ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = JsonPaths.Get(item, paths.SpecReplicasPath)?.DeepClone() ?? 0 },
            ["status"] = new JsonObject { ["replicas"] = JsonPaths.Get(item, paths.StatusReplicasPath)?.DeepClone() ?? 0, ["selector"] = selector },
        };
    }

    private async Task WatchAsync(HttpContext context, ApiKind kind, string? @namespace)
    {
        var query = context.Request.Query;
        string? resourceVersion = query["resourceVersion"];
        bool bookmarks = query["allowWatchBookmarks"] == "true";
        int timeout = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out int t) ? t : 1800;
        var watcher = _store.Watch(kind, @namespace, LabelQuery.Parse(query["labelSelector"]), resourceVersion);
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            if (watcher.Expired is { } expired)
            {
                // Inside the stream, as a real server does: one ERROR event carrying a 410 Expired Status.
                await WriteEventAsync(context, "ERROR", ApiException.Gone(expired).ToStatus()).ConfigureAwait(false);
                return;
            }

            using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            end.CancelAfter(TimeSpan.FromSeconds(timeout));
            string lastVersion = resourceVersion is { Length: > 0 } and not "0" ? resourceVersion : _store.CurrentResourceVersion;
            var reader = watcher.Channel.Reader;
            while (!end.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(end.Token);
                tick.CancelAfter(_options.BookmarkInterval);
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(tick.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!end.IsCancellationRequested)
                {
                    if (bookmarks)
                    {
                        // A bookmark carries only the resourceVersion the client may resume from: the last one sent.
                        await WriteEventAsync(context, "BOOKMARK", new JsonObject
                        {
                            ["kind"] = kind.Kind, ["apiVersion"] = kind.ApiVersion, ["metadata"] = new JsonObject { ["resourceVersion"] = lastVersion },
                        }).ConfigureAwait(false);
                    }

                    continue;
                }

                if (!more)
                {
                    return; // the server closed this watch (DisconnectWatches)
                }

                while (reader.TryRead(out var change))
                {
                    lastVersion = change.ResourceVersion.ToString(CultureInfo.InvariantCulture);
                    await WriteEventAsync(context, change.Type, change.Resource).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds passed or the client went away: the stream simply ends
        }
        catch (IOException)
        {
            // the client closed the connection
        }
        finally
        {
            _store.StopWatching(watcher);
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string type, JsonObject item)
    {
        string line = new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString() + "\n";
        await context.Response.WriteAsync(line, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static WritePart Part(ApiKind kind, string? subresource) => subresource switch
    {
        "status" when kind.HasStatus => WritePart.Status,
        "status" => throw new ApiException(HttpStatusCode.NotFound, "NotFound", $"{kind.Plural} has no status subresource"),
        _ => WritePart.Main,
    };

    private static void RequireMergePatch(HttpContext context)
    {
        string type = context.Request.ContentType ?? "";
        if (!type.StartsWith("application/merge-patch+json", StringComparison.Ordinal) && !type.StartsWith("application/strategic-merge-patch+json", StringComparison.Ordinal))
        {
            throw new ApiException(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", $"the body of the request was in an unknown format ({type}); this test server accepts merge patches");
        }
    }

    private static Func<JsonObject, bool>? FieldFilter(string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return null;
        }

        var requirements = selector.Split(',').Select(r => r.Split('=', 2)).ToList();
        foreach (var r in requirements.Where(r => r.Length != 2 || r[0] is not ("metadata.name" or "metadata.namespace")))
        {
            throw ApiException.BadRequest($"field selector '{string.Join('=', r)}' is not supported (metadata.name, metadata.namespace)");
        }

        return item => requirements.All(r => (string?)item["metadata"]![r[0]["metadata.".Length..]] == r[1]);
    }

    private static async Task<JsonObject> BodyAsync(HttpContext context)
    {
        var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return node as JsonObject ?? throw ApiException.BadRequest("the body must be a JSON object");
    }

    private static async Task WriteAsync(HttpContext context, HttpStatusCode code, JsonObject body)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
