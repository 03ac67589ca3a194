using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DeepSeekV3.Kubernetes.Models;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// A typed REST client for the Kubernetes API (api-concepts.md): get, list, create, replace, JSON merge patch
/// (RFC 7386), delete, the status and scale subresources, and watch streams. Objects are (de)serialized with the
/// caller's source-generated type info, so any kind with a model works. 429 and 5xx answers are retried with
/// exponential backoff, honouring Retry-After (client-go does the same); other refusals become
/// <see cref="KubernetesApiException"/> carrying the server's metav1.Status.
/// </summary>
public sealed class KubernetesClient : IDisposable
{
    private const string MergePatch = "application/merge-patch+json";
    private const int MaxAttempts = 5;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;

    public KubernetesClient(ClusterConnection connection)
    {
        Connection = connection;
        _http = new HttpClient(connection.CreateHandler()) { BaseAddress = connection.Server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("deepseek-operator", "0.1"));
    }

    public ClusterConnection Connection { get; }

    /// <summary>The object, or null when it does not exist (404).</summary>
    public async Task<T?> GetAsync<T>(ResourceKind kind, string? @namespace, string name, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : class
    {
        try
        {
            return await SendAsync(HttpMethod.Get, kind.ObjectPath(@namespace, name), null, null, type, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public Task<KubernetesList<T>> ListAsync<T>(ResourceKind kind, string? @namespace, JsonTypeInfo<KubernetesList<T>> type, string? labelSelector = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        string query = labelSelector is null ? "" : "?labelSelector=" + Uri.EscapeDataString(labelSelector);
        return SendAsync(HttpMethod.Get, kind.CollectionPath(@namespace) + query, null, null, type, cancellationToken);
    }

    public Task<T> CreateAsync<T>(ResourceKind kind, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        SendAsync(HttpMethod.Post, kind.CollectionPath(value.Metadata.Namespace), Json(value, type), "application/json", type, cancellationToken);

    /// <summary>PUT: refused with 409 Conflict when metadata.resourceVersion is stale (optimistic concurrency).</summary>
    public Task<T> ReplaceAsync<T>(ResourceKind kind, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        SendAsync(HttpMethod.Put, kind.ObjectPath(value.Metadata.Namespace, Name(value)), Json(value, type), "application/json", type, cancellationToken);

    /// <summary>PUT to the status subresource: only .status is taken from the body.</summary>
    public Task<T> ReplaceStatusAsync<T>(ResourceKind kind, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        SendAsync(HttpMethod.Put, kind.ObjectPath(value.Metadata.Namespace, Name(value)) + "/status", Json(value, type), "application/json", type, cancellationToken);

    /// <summary>A JSON merge patch (RFC 7386) of the object or of a subresource ("status", "scale").</summary>
    public Task<T> PatchAsync<T>(ResourceKind kind, string? @namespace, string name, JsonNode patch, JsonTypeInfo<T> type, string? subresource = null, CancellationToken cancellationToken = default)
    {
        string path = kind.ObjectPath(@namespace, name) + (subresource is null ? "" : "/" + subresource);
        return SendAsync(HttpMethod.Patch, path, patch.ToJsonString(), MergePatch, type, cancellationToken);
    }

    public Task<Scale> GetScaleAsync(ResourceKind kind, string? @namespace, string name, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, kind.ObjectPath(@namespace, name) + "/scale", null, null, KubernetesJsonContext.Default.Scale, cancellationToken);

    public Task<Scale> ScaleAsync(ResourceKind kind, string? @namespace, string name, int replicas, CancellationToken cancellationToken = default) =>
        PatchAsync(kind, @namespace, name, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } }, KubernetesJsonContext.Default.Scale, "scale", cancellationToken);

    /// <summary>
    /// Deletes an object; false when it was already gone. The propagation policy says how dependents go
    /// (Background: the garbage collector removes them after the owner; Foreground: before it).
    /// </summary>
    public async Task<bool> DeleteAsync(ResourceKind kind, string? @namespace, string name, string propagationPolicy = "Background", CancellationToken cancellationToken = default)
    {
        string body = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = propagationPolicy }.ToJsonString();
        try
        {
            await SendAsync(HttpMethod.Delete, kind.ObjectPath(@namespace, name), body, "application/json", JsonNodeType, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubernetesApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// A watch stream from <paramref name="resourceVersion"/> ("" or "0": the current state as ADDED events first),
    /// with bookmarks. Ends when the server closes it (timeoutSeconds); an expired resourceVersion throws a
    /// <see cref="KubernetesApiException"/> whose <see cref="KubernetesApiException.IsGone"/> is true, whether the
    /// server says so with a 410 response or an ERROR event inside the stream.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        ResourceKind kind, string? @namespace, string? resourceVersion, string? labelSelector = null, int timeoutSeconds = 300,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder(kind.CollectionPath(@namespace))
            .Append(CultureInfo.InvariantCulture, $"?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}");
        if (!string.IsNullOrEmpty(resourceVersion))
        {
            query.Append("&resourceVersion=").Append(Uri.EscapeDataString(resourceVersion));
        }

        if (labelSelector is not null)
        {
            query.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, query.ToString());
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var node = JsonNode.Parse(line)?.AsObject() ?? throw new KubernetesApiException($"empty watch event from {kind.Plural}");
            var type = Enum.Parse<WatchEventType>(node["type"]!.GetValue<string>(), ignoreCase: true);
            var value = node["object"]?.AsObject() ?? [];
            if (type == WatchEventType.Error)
            {
                var status = value.Deserialize(KubernetesJsonContext.Default.Status);
                throw new KubernetesApiException((HttpStatusCode)(status?.Code ?? 500), status, "watch error");
            }

            yield return new WatchEvent(type, value);
        }
    }

    public void Dispose() => _http.Dispose();

    private static readonly JsonTypeInfo<JsonNode> JsonNodeType = (JsonTypeInfo<JsonNode>)JsonSerializerOptions.Default.GetTypeInfo(typeof(JsonNode));

    private static string Name(KubernetesObject value) =>
        value.Metadata.Name ?? throw new ArgumentException("metadata.name is required for this request", nameof(value));

    private static string Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string? body, string? contentType, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType!);
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested
                                      && attempt < MaxAttempts && method != HttpMethod.Post)
            {
                await Task.Delay(Backoff(attempt, null), cancellationToken).ConfigureAwait(false);
                continue; // connection refused or timed out: the server may be restarting
            }

            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false)
                        ?? throw new KubernetesApiException($"{method} {path}: empty response");
                }

                if (attempt < MaxAttempts && IsRetryable(method, response))
                {
                    await Task.Delay(Backoff(attempt, response.Headers.RetryAfter), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw await ErrorAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>429 always (the server asks us to slow down); 5xx unless a create could run twice without a Retry-After.</summary>
    private static bool IsRetryable(HttpMethod method, HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests
        || ((int)response.StatusCode >= 500 && (method != HttpMethod.Post || response.Headers.RetryAfter is not null));

    private static TimeSpan Backoff(int attempt, RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.FromSeconds(30) ? delta : TimeSpan.FromSeconds(30);
        }

        return TimeSpan.FromMilliseconds(Math.Min(5_000, 200 * Math.Pow(2, attempt - 1)));
    }

    private static async Task<KubernetesApiException> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        Status? status = null;
        try
        {
            status = JsonSerializer.Deserialize(text, KubernetesJsonContext.Default.Status);
        }
        catch (JsonException)
        {
            // Not a Status body (a proxy's HTML page, say): keep the text as the message.
        }

        return new KubernetesApiException(response.StatusCode, status, text.Length > 200 ? text[..200] : text);
    }
}
