using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.TestApiServer;

/// <summary>
/// What the StatefulSet and Deployment controllers and the kubelet would do, reduced to what an operator observes:
/// a StatefulSet gets pods {name}-0..{replicas-1} from its template (ordinal labels, a controller ownerReference,
/// hostname and subdomain), surplus pods are deleted and deleted pods recreated from the current template; pods
/// turn Running and Ready after a delay unless held; StatefulSet and Deployment status follow. Only objects that
/// changed are looked at, so a thousand deployments stay cheap.
/// </summary>
public sealed class WorkloadSimulator : IAsyncDisposable
{
    private readonly ObjectStore _store;
    private readonly KindRegistry _kinds;
    private readonly TimeSpan _readyDelay;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly HashSet<(string Kind, string Namespace, string Name)> _dirty = [];
    private readonly HashSet<string> _heldPodUids = [];
    private readonly Dictionary<string, DateTimeOffset> _podCreated = []; // creationTimestamp has only whole seconds
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _holdAll;

    public WorkloadSimulator(ObjectStore store, KindRegistry kinds, TimeSpan readyDelay, TimeProvider? time = null)
    {
        _store = store;
        _kinds = kinds;
        _readyDelay = readyDelay;
        _time = time ?? TimeProvider.System;
        _store.Changed += OnChanged;
        _loop = Task.Run(RunAsync);
    }

    private ApiKind Pods => _kinds.Get("pods");

    private ApiKind StatefulSets => _kinds.Get("statefulsets");

    private ApiKind Deployments => _kinds.Get("deployments");

    /// <summary>While true, no pod becomes ready (ranks "loading weights" for as long as a test needs).</summary>
    public void HoldAllPods(bool hold)
    {
        lock (_lock)
        {
            _holdAll = hold;
        }

        foreach (var set in _store.List(StatefulSets, null, LabelQuery.Parse(null)).Items)
        {
            MarkDirty("statefulsets", set);
        }
    }

    /// <summary>Makes a pod's container crash: restartCount + 1, last exit 137, not ready (and kept so).</summary>
    public void CrashPod(string @namespace, string name)
    {
        var pod = _store.Get(Pods, @namespace, name) ?? throw new ArgumentException($"no pod {@namespace}/{name}", nameof(name));
        lock (_lock)
        {
            _heldPodUids.Add((string)pod["metadata"]!["uid"]!);
        }

        var container = pod["status"]?["containerStatuses"]?[0]?.AsObject();
        long restarts = (long?)container?["restartCount"] ?? 0;
        var status = PodStatus(ready: false, restarts + 1, pod);
        status["containerStatuses"]![0]!["lastState"] = new JsonObject
        {
            ["terminated"] = new JsonObject { ["exitCode"] = 137, ["reason"] = "Error", ["finishedAt"] = Now() },
        };
        _store.Update(Pods, @namespace, name, new JsonObject { ["status"] = status }, WritePart.Status);
    }

    public async ValueTask DisposeAsync()
    {
        _store.Changed -= OnChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    private void OnChanged(StoredEvent change)
    {
        switch (change.Kind.Plural)
        {
            case "statefulsets" or "deployments":
                MarkDirty(change.Kind.Plural, change.Resource);
                break;
            case "pods":
                var owners = change.Resource["metadata"]!["ownerReferences"] as JsonArray ?? [];
                foreach (var owner in owners.Where(o => (string?)o!["kind"] == "StatefulSet"))
                {
                    MarkDirty("statefulsets", (string)change.Resource["metadata"]!["namespace"]!, (string)owner!["name"]!);
                }

                break;
            default:
                break;
        }
    }

    private void MarkDirty(string kind, JsonObject item) =>
        MarkDirty(kind, (string?)item["metadata"]!["namespace"] ?? "", (string)item["metadata"]!["name"]!);

    private void MarkDirty(string kind, string @namespace, string name)
    {
        lock (_lock)
        {
            _dirty.Add((kind, @namespace, name));
        }

        _signal.Release();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
            List<(string Kind, string Namespace, string Name)> work;
            lock (_lock)
            {
                work = [.. _dirty];
                _dirty.Clear();
            }

            foreach (var (kind, ns, name) in work)
            {
                try
                {
                    if (kind == "statefulsets")
                    {
                        SyncStatefulSet(ns, name);
                    }
                    else
                    {
                        SyncDeployment(ns, name);
                    }
                }
                catch (ApiException)
                {
                    MarkDirty(kind, ns, name); // raced with another writer: look again
                }
            }
        }
    }

    private void SyncStatefulSet(string ns, string name)
    {
        var set = _store.Get(StatefulSets, ns, name);
        if (set is null || set["metadata"]!["deletionTimestamp"] is not null)
        {
            return; // the garbage collector removes its pods
        }

        string uid = (string)set["metadata"]!["uid"]!;
        int replicas = (int?)set["spec"]?["replicas"] ?? 1;
        var owned = _store.List(Pods, ns, LabelQuery.Parse(null))
            .Items.Where(p => (p["metadata"]!["ownerReferences"] as JsonArray)?.Any(o => (string?)o!["uid"] == uid) == true)
            .ToDictionary(p => (string)p["metadata"]!["name"]!);
        for (int ordinal = 0; ordinal < replicas; ordinal++)
        {
            string podName = $"{name}-{ordinal}";
            if (!owned.ContainsKey(podName))
            {
                var pod = _store.Create(Pods, ns, NewPod(set, podName, ordinal));
                lock (_lock)
                {
                    _podCreated[(string)pod["metadata"]!["uid"]!] = _time.GetUtcNow();
                }

                owned[podName] = pod;
            }
        }

        foreach (var (podName, pod) in owned.Where(p => Ordinal(p.Key, name) >= replicas).ToList())
        {
            _store.Delete(Pods, ns, podName);
            owned.Remove(podName);
        }

        var now = _time.GetUtcNow();
        TimeSpan? wakeIn = null;
        int ready = 0;
        foreach (var pod in owned.Values)
        {
            bool isReady = pod["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True") == true;
            bool held;
            DateTimeOffset created;
            lock (_lock)
            {
                string podUid = (string)pod["metadata"]!["uid"]!;
                held = _holdAll || _heldPodUids.Contains(podUid);
                created = _podCreated.GetValueOrDefault(podUid, DateTimeOffset.MinValue);
            }

            if (!isReady && !held)
            {
                var due = created == DateTimeOffset.MinValue ? now : created + _readyDelay;
                if (due <= now)
                {
                    long restarts = (long?)pod["status"]?["containerStatuses"]?[0]?["restartCount"] ?? 0;
                    _store.Update(Pods, ns, (string)pod["metadata"]!["name"]!, new JsonObject { ["status"] = PodStatus(ready: true, restarts, pod) }, WritePart.Status);
                    isReady = true;
                }
                else
                {
                    wakeIn = wakeIn is { } w && w < due - now ? w : due - now;
                }
            }

            ready += isReady ? 1 : 0;
        }

        var status = new JsonObject
        {
            ["observedGeneration"] = set["metadata"]!["generation"]?.DeepClone(),
            ["replicas"] = owned.Count,
            ["readyReplicas"] = ready,
            ["availableReplicas"] = ready,
            ["currentReplicas"] = owned.Count,
            ["updatedReplicas"] = owned.Count,
        };
        _store.Update(StatefulSets, ns, name, new JsonObject { ["status"] = status }, WritePart.Status);
        if (wakeIn is { } delay)
        {
            _ = Task.Delay(delay, _time, _stop.Token).ContinueWith(_ => MarkDirty("statefulsets", ns, name), TaskScheduler.Default);
        }
    }

    private void SyncDeployment(string ns, string name)
    {
        var deployment = _store.Get(Deployments, ns, name);
        if (deployment is null)
        {
            return;
        }

        int replicas = (int?)deployment["spec"]?["replicas"] ?? 1;
        var status = new JsonObject
        {
            ["observedGeneration"] = deployment["metadata"]!["generation"]?.DeepClone(),
            ["replicas"] = replicas,
            ["readyReplicas"] = replicas,
            ["availableReplicas"] = replicas,
            ["updatedReplicas"] = replicas,
        };
        _store.Update(Deployments, ns, name, new JsonObject { ["status"] = status }, WritePart.Status);
    }

    private static JsonObject NewPod(JsonObject set, string podName, int ordinal)
    {
        var template = set["spec"]?["template"]?.AsObject() ?? [];
        var labels = template["metadata"]?["labels"]?.DeepClone() as JsonObject ?? [];
        labels["apps.kubernetes.io/pod-index"] = ordinal.ToString(CultureInfo.InvariantCulture);
        labels["statefulset.kubernetes.io/pod-name"] = podName;
        var spec = template["spec"]?.DeepClone() as JsonObject ?? [];
        spec["hostname"] = podName;
        if ((string?)set["spec"]?["serviceName"] is { } service)
        {
            spec["subdomain"] = service;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = podName,
                ["labels"] = labels,
                ["annotations"] = template["metadata"]?["annotations"]?.DeepClone(),
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1", ["kind"] = "StatefulSet", ["name"] = set["metadata"]!["name"]!.DeepClone(),
                    ["uid"] = set["metadata"]!["uid"]!.DeepClone(), ["controller"] = true, ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject { ["phase"] = "Pending" },
        };
    }

    private JsonObject PodStatus(bool ready, long restarts, JsonObject pod) => new()
    {
        ["phase"] = "Running",
        ["podIP"] = "10.0.0." + (Math.Abs(((string)pod["metadata"]!["name"]!).GetHashCode(StringComparison.Ordinal)) % 250 + 1).ToString(CultureInfo.InvariantCulture),
        ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = Now() }),
        ["containerStatuses"] = new JsonArray(new JsonObject
        {
            ["name"] = (string?)pod["spec"]?["containers"]?[0]?["name"] ?? "main",
            ["ready"] = ready,
            ["started"] = true,
            ["restartCount"] = restarts,
            ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Now() } },
        }),
    };

    private static int Ordinal(string podName, string setName) =>
        int.TryParse(podName.AsSpan(setName.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue;

    private string Now() => ApiTime.Now(_time);
}
