using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Kubernetes.Runtime;

/// <summary>
/// A list-then-watch cache of one kind (client-go's reflector + store): lists, watches from the list's
/// resourceVersion, follows bookmarks, re-watches from the last resourceVersion when a stream ends, and lists
/// again on 410 Gone — a relist reports the differences as changes, so no event is lost across the gap.
/// Every change goes to the subscribers as (old, new); new is null for a deletion.
/// </summary>
public sealed class Informer<T> : IInformer
    where T : KubernetesObject
{
    private readonly KubernetesClient _client;
    private readonly string? _namespace;
    private readonly string? _labelSelector;
    private readonly JsonTypeInfo<T> _type;
    private readonly JsonTypeInfo<KubernetesList<T>> _listType;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string? Namespace, string Name), T> _cache = [];
    private readonly Dictionary<string, Dictionary<(string? Namespace, string Name), T>> _index = [];
    private readonly Func<T, string?>? _indexKey;
    private readonly List<Action<T?, T?>> _subscribers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _resourceVersion = "";

    public Informer(
        KubernetesClient client, ResourceKind kind, JsonTypeInfo<T> type, JsonTypeInfo<KubernetesList<T>> listType,
        ILogger logger, string? @namespace = null, string? labelSelector = null, Func<T, string?>? indexKey = null)
    {
        _indexKey = indexKey;
        _client = client;
        Kind = kind;
        _type = type;
        _listType = listType;
        _logger = logger;
        _namespace = @namespace;
        _labelSelector = labelSelector;
    }

    public ResourceKind Kind { get; }

    /// <summary>How long a watch request stays open before the server ends it and we re-watch.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;

    public Task Synced => _synced.Task;

    public int Relists { get; private set; }

    public void Subscribe(Action<T?, T?> onChange)
    {
        lock (_lock)
        {
            _subscribers.Add(onChange);
        }
    }

    public T? Get(string? @namespace, string name)
    {
        lock (_lock)
        {
            return _cache.GetValueOrDefault((@namespace, name));
        }
    }

    /// <summary>The cached objects whose index key (given at construction, e.g. an owner label) is <paramref name="key"/>.</summary>
    public IReadOnlyList<T> ByIndex(string key)
    {
        lock (_lock)
        {
            return _index.TryGetValue(key, out var items) ? [.. items.Values] : [];
        }
    }

    public IReadOnlyList<T> List(string? @namespace = null)
    {
        lock (_lock)
        {
            return [.. _cache.Values.Where(o => @namespace is null || o.Metadata.Namespace == @namespace)];
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        bool mustList = true;
        int failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    await ListAsync(cancellationToken).ConfigureAwait(false);
                    mustList = false;
                }

                await WatchAsync(cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException e) when (e.IsGone)
            {
                _logger.LogInformation("{Kind}: resourceVersion {Version} expired, listing again", Kind.Plural, _resourceVersion);
                mustList = true;
            }
            catch (Exception e) when (e is HttpRequestException or KubernetesApiException or JsonException or IOException or OperationCanceledException)
            {
                failures++;
                mustList |= _resourceVersion.Length == 0;
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 8))));
                _logger.LogWarning("{Kind}: {Message}; retrying in {Delay}", Kind.Plural, e.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var list = await _client.ListAsync(Kind, _namespace, _listType, _labelSelector, cancellationToken).ConfigureAwait(false);
        var changes = new List<(T? Old, T? New)>();
        lock (_lock)
        {
            var fresh = list.Items.ToDictionary(Key);
            foreach (var (key, old) in _cache)
            {
                if (!fresh.ContainsKey(key))
                {
                    changes.Add((old, null));
                }
            }

            foreach (var (key, item) in fresh)
            {
                var old = _cache.GetValueOrDefault(key);
                if (old?.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
                {
                    changes.Add((old, item));
                }
            }

            _cache.Clear();
            _index.Clear();
            foreach (var (key, item) in fresh)
            {
                Put(key, item);
            }

            _resourceVersion = list.Metadata?.ResourceVersion ?? "";
            Relists++;
        }

        _synced.TrySetResult();
        Notify(changes);
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        await foreach (var change in _client.WatchAsync(Kind, _namespace, _resourceVersion, _labelSelector, WatchTimeoutSeconds, cancellationToken).ConfigureAwait(false))
        {
            if (change.Type == WatchEventType.Bookmark)
            {
                _resourceVersion = change.ResourceVersion ?? _resourceVersion;
                continue;
            }

            var item = change.Resource.Deserialize(_type) ?? throw new JsonException($"{Kind.Plural}: empty object in a watch event");
            T? old;
            lock (_lock)
            {
                var key = Key(item);
                old = _cache.GetValueOrDefault(key);
                if (old is not null)
                {
                    Remove(key, old);
                }

                if (change.Type != WatchEventType.Deleted)
                {
                    Put(key, item);
                }

                _resourceVersion = item.Metadata.ResourceVersion ?? _resourceVersion;
            }

            Notify([(old, change.Type == WatchEventType.Deleted ? null : item)]);
        }
    }

    private void Notify(List<(T? Old, T? New)> changes)
    {
        Action<T?, T?>[] subscribers;
        lock (_lock)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var (old, current) in changes)
        {
            foreach (var subscriber in subscribers)
            {
                subscriber(old, current);
            }
        }
    }

    private void Put((string? Namespace, string Name) key, T item)
    {
        _cache[key] = item;
        if (_indexKey?.Invoke(item) is { } indexKey)
        {
            if (!_index.TryGetValue(indexKey, out var items))
            {
                _index[indexKey] = items = [];
            }

            items[key] = item;
        }
    }

    private void Remove((string? Namespace, string Name) key, T old)
    {
        _cache.Remove(key);
        if (_indexKey?.Invoke(old) is { } indexKey && _index.TryGetValue(indexKey, out var items))
        {
            items.Remove(key);
            if (items.Count == 0)
            {
                _index.Remove(indexKey);
            }
        }
    }

    private static (string? Namespace, string Name) Key(T item) => (item.Metadata.Namespace, item.Metadata.Name ?? "");
}
