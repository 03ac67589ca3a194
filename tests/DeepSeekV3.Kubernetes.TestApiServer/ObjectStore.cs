using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>Which part of an object a write may change (api-concepts.md: the status subresource).</summary>
public enum WritePart
{
    Main,
    Status,
}

/// <summary>One change, as a watch stream delivers it.</summary>
public sealed record StoredEvent(long ResourceVersion, string Type, ApiKind Kind, string? Namespace, JsonObject Resource);

/// <summary>
/// The objects of every kind and the change history, following the API's storage conventions: one increasing
/// resourceVersion for all writes, optimistic concurrency (409 on a stale resourceVersion), generation bumped only
/// by spec changes, the status subresource isolating .status, finalizers holding deletion with a deletionTimestamp,
/// and ownerReference garbage collection (a dependent goes when none of its owners exists any more).
/// </summary>
public sealed class ObjectStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<(string? Namespace, string Name), JsonObject>> _objects = [];
    private readonly Dictionary<string, JsonObject> _byUid = [];
    private readonly LinkedList<StoredEvent> _history = new();
    private readonly List<Watcher> _watchers = [];
    private readonly TimeProvider _time;
    private long _resourceVersion = 100;
    private long _compactedThrough = 100;

    public ObjectStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Events kept for watches that resume from a resourceVersion; older ones answer 410 Expired.</summary>
    public int HistoryLimit { get; init; } = 500_000;

    /// <summary>While true, new watch requests are refused with 503 (an API server restarting), so a test can make changes a client's watch misses.</summary>
    public bool WatchesPaused { get; set; }

    /// <summary>Raised after every change (outside the lock), for the workload simulator.</summary>
    public event Action<StoredEvent>? Changed;

    public string CurrentResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return Text(_resourceVersion);
            }
        }
    }

    public JsonObject? Get(ApiKind kind, string? @namespace, string name)
    {
        lock (_lock)
        {
            return Bucket(kind).GetValueOrDefault((Ns(kind, @namespace), name))?.DeepClone().AsObject();
        }
    }

    public (List<JsonObject> Items, string ResourceVersion) List(ApiKind kind, string? @namespace, LabelQuery selector, Func<JsonObject, bool>? fieldFilter = null)
    {
        lock (_lock)
        {
            var items = Bucket(kind).Values
                .Where(o => @namespace is null || (string?)o["metadata"]!["namespace"] == @namespace)
                .Where(selector.Matches)
                .Where(o => fieldFilter?.Invoke(o) ?? true)
                .OrderBy(o => (string?)o["metadata"]!["namespace"], StringComparer.Ordinal)
                .ThenBy(o => (string?)o["metadata"]!["name"], StringComparer.Ordinal)
                .Select(o => o.DeepClone().AsObject())
                .ToList();
            return (items, Text(_resourceVersion));
        }
    }

    public JsonObject Create(ApiKind kind, string? @namespace, JsonObject body)
    {
        var pending = new List<StoredEvent>();
        JsonObject created;
        lock (_lock)
        {
            var item = body.DeepClone().AsObject();
            var meta = Metadata(item);
            string name = (string?)meta["name"] ?? "";
            if (name.Length == 0 && meta["generateName"] is JsonValue prefix)
            {
                name = (string)prefix! + Guid.NewGuid().ToString("N")[..5];
            }

            if (name.Length == 0)
            {
                throw ApiException.Invalid(kind, "", "metadata.name: Required value: name or generateName is required");
            }

            string? ns = Ns(kind, @namespace ?? (string?)meta["namespace"]);
            if ((string?)meta["namespace"] is { } given && ns is not null && given != ns)
            {
                throw ApiException.BadRequest($"the namespace of the provided object ({given}) does not match the namespace sent on the request ({ns})");
            }

            if (Bucket(kind).ContainsKey((ns, name)))
            {
                throw ApiException.AlreadyExists(kind, name);
            }

            meta["name"] = name;
            if (ns is not null)
            {
                meta["namespace"] = ns;
            }

            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta["generation"] = 1L;
            meta.Remove("deletionTimestamp");
            item["apiVersion"] = kind.ApiVersion;
            item["kind"] = kind.Kind;
            if (kind.HasStatus && kind.Group.Length > 0 && kind.Kind != "CustomResourceDefinition" && !IsBuiltInGroup(kind.Group))
            {
                item.Remove("status"); // custom resources with a status subresource ignore status on create
            }

            created = Write(kind, ns, name, item, "ADDED", pending);
            if (item["metadata"]!["ownerReferences"] is JsonArray { Count: > 0 })
            {
                // An object created for an owner that is already gone (a controller racing a delete) is garbage
                // at once, as the garbage collector would find it.
                CollectGarbage(pending);
            }
        }

        Publish(pending);
        return created;
    }

    public JsonObject Update(ApiKind kind, string? @namespace, string name, JsonObject body, WritePart part) =>
        Change(kind, @namespace, name, (string?)body["metadata"]?["resourceVersion"], part, current =>
        {
            if ((string?)body["metadata"]?["name"] is { Length: > 0 } bodyName && bodyName != name)
            {
                throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            }

            return body;
        });

    /// <summary>A JSON merge patch of the object (or of its status), with the same rules as an update.</summary>
    public JsonObject Patch(ApiKind kind, string? @namespace, string name, JsonNode patch, WritePart part) =>
        Change(kind, @namespace, name, (string?)patch["metadata"]?["resourceVersion"], part, current =>
            MergePatch.Apply(current, patch) as JsonObject ?? throw ApiException.BadRequest("a merge patch of an object must be an object"));

    /// <summary>
    /// Replaces an existing object by what <paramref name="next"/> makes of it, refusing a stale
    /// <paramref name="expectedVersion"/> with 409 (api-concepts.md "Concurrency control and consistency").
    /// </summary>
    private JsonObject Change(ApiKind kind, string? @namespace, string name, string? expectedVersion, WritePart part, Func<JsonObject, JsonObject> next)
    {
        var pending = new List<StoredEvent>();
        JsonObject result;
        lock (_lock)
        {
            string? ns = Ns(kind, @namespace);
            var current = Bucket(kind).GetValueOrDefault((ns, name)) ?? throw ApiException.NotFound(kind, name);
            if (expectedVersion is { Length: > 0 } && expectedVersion != (string?)current["metadata"]!["resourceVersion"])
            {
                throw ApiException.Conflict(kind, name);
            }

            result = ApplyUpdate(kind, ns, name, current, next(current), part, pending);
        }

        Publish(pending);
        return result;
    }

    /// <summary>Deletes an object: with finalizers it only gets a deletionTimestamp; its dependents are collected.</summary>
    public JsonObject Delete(ApiKind kind, string? @namespace, string name)
    {
        var pending = new List<StoredEvent>();
        JsonObject result;
        lock (_lock)
        {
            string? ns = Ns(kind, @namespace);
            var current = Bucket(kind).GetValueOrDefault((ns, name)) ?? throw ApiException.NotFound(kind, name);
            result = DeleteLocked(kind, ns, name, current, pending);
            CollectGarbage(pending);
        }

        Publish(pending);
        return result;
    }

    /// <summary>Starts a watch: the current objects as ADDED (resourceVersion empty or "0") or the history after it.</summary>
    public Watcher Watch(ApiKind kind, string? @namespace, LabelQuery selector, string? resourceVersion)
    {
        if (WatchesPaused)
        {
            throw new ApiException(System.Net.HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "watches are paused");
        }

        lock (_lock)
        {
            var watcher = new Watcher(kind, @namespace, selector);
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var item in Bucket(kind).Values.Where(o => watcher.Matches(kind, (string?)o["metadata"]!["namespace"], o)))
                {
                    watcher.Channel.Writer.TryWrite(new StoredEvent(long.Parse((string)item["metadata"]!["resourceVersion"]!, CultureInfo.InvariantCulture), "ADDED", kind, null, item.DeepClone().AsObject()));
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out long from))
                {
                    throw ApiException.BadRequest($"invalid resourceVersion {resourceVersion}");
                }

                if (from < _compactedThrough)
                {
                    watcher.Expired = $"too old resource version: {from} ({_compactedThrough})";
                }

                foreach (var change in _history.Where(e => e.ResourceVersion > from && watcher.Matches(e.Kind, e.Namespace, e.Resource)))
                {
                    watcher.Channel.Writer.TryWrite(change);
                }
            }

            _watchers.Add(watcher);
            return watcher;
        }
    }

    public void StopWatching(Watcher watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }

        watcher.Channel.Writer.TryComplete();
    }

    /// <summary>Ends every open watch stream (clients must re-watch from their last resourceVersion).</summary>
    public void DisconnectWatches()
    {
        List<Watcher> all;
        lock (_lock)
        {
            all = [.. _watchers];
            _watchers.Clear();
        }

        foreach (var watcher in all)
        {
            watcher.Channel.Writer.TryComplete();
        }
    }

    /// <summary>Forgets the whole history, like etcd compaction: resuming a watch from any earlier version gives 410.</summary>
    public void CompactHistory()
    {
        lock (_lock)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    private JsonObject ApplyUpdate(ApiKind kind, string? ns, string name, JsonObject current, JsonObject body, WritePart part, List<StoredEvent> pending)
    {
        JsonObject next;
        if (part == WritePart.Status)
        {
            next = current.DeepClone().AsObject();
            next["status"] = body["status"]?.DeepClone();
        }
        else
        {
            next = body.DeepClone().AsObject();
            if (kind.HasStatus)
            {
                next["status"] = current["status"]?.DeepClone(); // the main endpoint ignores status changes
            }

            var meta = Metadata(next);
            var old = current["metadata"]!.AsObject();
            foreach (string field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "namespace", "name", "generation" })
            {
                meta[field] = old[field]?.DeepClone();
            }

            if (meta["deletionTimestamp"] is null)
            {
                meta.Remove("deletionTimestamp");
            }

            if (!JsonNode.DeepEquals(Spec(current), Spec(next)))
            {
                meta["generation"] = ((long?)old["generation"] ?? 0) + 1;
            }
        }

        next["apiVersion"] = kind.ApiVersion;
        next["kind"] = kind.Kind;
        if (next["metadata"]!["deletionTimestamp"] is not null && (next["metadata"]!["finalizers"] as JsonArray ?? []).Count == 0)
        {
            var removed = Remove(kind, ns, name, next, pending);
            CollectGarbage(pending);
            return removed;
        }

        if (JsonNode.DeepEquals(WithoutVersion(current), WithoutVersion(next)))
        {
            return current.DeepClone().AsObject(); // a no-op write changes nothing, not even the resourceVersion
        }

        return Write(kind, ns, name, next, "MODIFIED", pending);
    }

    private JsonObject DeleteLocked(ApiKind kind, string? ns, string name, JsonObject current, List<StoredEvent> pending)
    {
        if ((current["metadata"]!["finalizers"] as JsonArray ?? []).Count > 0)
        {
            if (current["metadata"]!["deletionTimestamp"] is not null)
            {
                return current.DeepClone().AsObject();
            }

            var marked = current.DeepClone().AsObject();
            marked["metadata"]!["deletionTimestamp"] = Now();
            return Write(kind, ns, name, marked, "MODIFIED", pending);
        }

        return Remove(kind, ns, name, current, pending);
    }

    /// <summary>Deletes every object none of whose owners exists any more, until nothing changes (transitive).</summary>
    private void CollectGarbage(List<StoredEvent> pending)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var (kindKey, bucket) in _objects)
            {
                var kind = _kinds[kindKey];
                foreach (var ((ns, name), item) in bucket.ToList())
                {
                    if (item["metadata"]!["ownerReferences"] is JsonArray { Count: > 0 } owners
                        && owners.All(o => !_byUid.ContainsKey((string?)o!["uid"] ?? ""))
                        && item["metadata"]!["deletionTimestamp"] is null)
                    {
                        DeleteLocked(kind, ns, name, item, pending);
                        changed = true;
                    }
                }
            }
        }
    }

    private readonly Dictionary<string, ApiKind> _kinds = [];

    private JsonObject Write(ApiKind kind, string? ns, string name, JsonObject item, string type, List<StoredEvent> pending)
    {
        long version = ++_resourceVersion;
        item["metadata"]!["resourceVersion"] = Text(version);
        Bucket(kind)[(ns, name)] = item;
        _byUid[(string)item["metadata"]!["uid"]!] = item;
        Record(new StoredEvent(version, type, kind, ns, item.DeepClone().AsObject()), pending);
        return item.DeepClone().AsObject();
    }

    private JsonObject Remove(ApiKind kind, string? ns, string name, JsonObject item, List<StoredEvent> pending)
    {
        long version = ++_resourceVersion;
        Bucket(kind).Remove((ns, name));
        _byUid.Remove((string?)item["metadata"]!["uid"] ?? "");
        var final = item.DeepClone().AsObject();
        final["metadata"]!["resourceVersion"] = Text(version);
        Record(new StoredEvent(version, "DELETED", kind, ns, final), pending);
        return final.DeepClone().AsObject();
    }

    private void Record(StoredEvent change, List<StoredEvent> pending)
    {
        _history.AddLast(change);
        while (_history.Count > HistoryLimit)
        {
            _compactedThrough = _history.First!.Value.ResourceVersion;
            _history.RemoveFirst();
        }

        foreach (var watcher in _watchers.Where(w => w.Matches(change.Kind, change.Namespace, change.Resource)))
        {
            watcher.Channel.Writer.TryWrite(change);
        }

        pending.Add(change);
    }

    private void Publish(List<StoredEvent> pending)
    {
        foreach (var change in pending)
        {
            Changed?.Invoke(change);
        }
    }

    private Dictionary<(string? Namespace, string Name), JsonObject> Bucket(ApiKind kind)
    {
        if (!_objects.TryGetValue(kind.Key, out var bucket))
        {
            _objects[kind.Key] = bucket = [];
            _kinds[kind.Key] = kind;
        }

        return bucket;
    }

    private static string? Ns(ApiKind kind, string? @namespace) => kind.Namespaced ? @namespace ?? "default" : null;

    private static bool IsBuiltInGroup(string group) => group is "apps" or "policy" or "networking.k8s.io" or "coordination.k8s.io" or "apiextensions.k8s.io";

    private static JsonObject Metadata(JsonObject item)
    {
        if (item["metadata"] is not JsonObject meta)
        {
            item["metadata"] = meta = [];
        }

        return meta;
    }

    /// <summary>Everything but metadata and status: what generation counts changes of.</summary>
    private static JsonObject Spec(JsonObject item)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in item)
        {
            if (key is not ("metadata" or "status" or "apiVersion" or "kind"))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    private static JsonObject WithoutVersion(JsonObject item)
    {
        var copy = item.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("resourceVersion");
        return copy;
    }

    private string Now() => ApiTime.Now(_time);

    private static string Text(long version) => version.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One open watch: the events that match it, in order.</summary>
public sealed class Watcher
{
    public Watcher(ApiKind kind, string? @namespace, LabelQuery selector)
    {
        Kind = kind;
        Namespace = @namespace;
        Selector = selector;
    }

    public ApiKind Kind { get; }

    public string? Namespace { get; }

    public LabelQuery Selector { get; }

    public Channel<StoredEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<StoredEvent>();

    /// <summary>Set when the requested resourceVersion was compacted away: the stream sends one ERROR 410 and ends.</summary>
    public string? Expired { get; set; }

    public bool Matches(ApiKind kind, string? @namespace, JsonObject item) =>
        kind.Key == Kind.Key && (Namespace is null || Namespace == @namespace) && Selector.Matches(item);
}
