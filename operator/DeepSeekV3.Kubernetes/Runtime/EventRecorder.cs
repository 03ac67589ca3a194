using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Kubernetes.Runtime;

/// <summary>
/// Writes core/v1 Events about an object (what `kubectl describe` shows). The same reason and message about the
/// same object within ten minutes bumps the count of the existing Event instead of creating another, as
/// client-go's event correlator does, so a reconcile loop cannot flood the API server.
/// </summary>
public sealed class EventRecorder
{
    private static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    private readonly KubernetesClient _client;
    private readonly string _component;
    private readonly string _instance;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (Event Event, DateTimeOffset Last)> _recent = [];

    public EventRecorder(KubernetesClient client, string component, string instance, ILogger logger, TimeProvider? time = null)
    {
        _client = client;
        _component = component;
        _instance = instance;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public const string Normal = "Normal";
    public const string Warning = "Warning";

    public async Task RecordAsync(KubernetesObject about, string type, string reason, string message, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        string key = $"{about.Metadata.Uid}|{type}|{reason}|{message}";
        (Event Event, DateTimeOffset Last) recent;
        lock (_lock)
        {
            _recent.TryGetValue(key, out recent);
        }

        try
        {
            Event written;
            if (recent.Event is not null && now - recent.Last < AggregationWindow)
            {
                var patch = new System.Text.Json.Nodes.JsonObject
                {
                    ["count"] = (recent.Event.Count ?? 1) + 1,
                    ["lastTimestamp"] = KubernetesTimeConverter.Text(now),
                };
                written = await _client.PatchAsync(ResourceKind.Events, recent.Event.Metadata.Namespace, recent.Event.Metadata.Name!, patch, KubernetesJsonContext.Default.Event, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                written = await _client.CreateAsync(ResourceKind.Events, NewEvent(about, type, reason, message, now), KubernetesJsonContext.Default.Event, cancellationToken).ConfigureAwait(false);
            }

            lock (_lock)
            {
                _recent[key] = (written, now);
                if (_recent.Count > 4096)
                {
                    foreach (var stale in _recent.Where(e => now - e.Value.Last >= AggregationWindow).Select(e => e.Key).ToList())
                    {
                        _recent.Remove(stale);
                    }
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or KubernetesApiException)
        {
            // Events are best effort (client-go drops them too): losing one must not fail a reconcile.
            lock (_lock)
            {
                _recent.Remove(key);
            }

            _logger.LogWarning("event {Reason} for {Name} not recorded: {Message}", reason, about.Metadata.Name, e.Message);
        }
    }

    private Event NewEvent(KubernetesObject about, string type, string reason, string message, DateTimeOffset now) => new()
    {
        ApiVersion = ResourceKind.Events.ApiVersion,
        Kind = ResourceKind.Events.Kind,
        Metadata = new ObjectMeta
        {
            // The name convention of client-go: the object's name and a unique hex suffix from the time.
            Name = $"{about.Metadata.Name}.{now.UtcTicks:x}",
            Namespace = about.Metadata.Namespace ?? "default",
        },
        InvolvedObject = new ObjectReference
        {
            ApiVersion = about.ApiVersion,
            Kind = about.Kind,
            Name = about.Metadata.Name,
            Namespace = about.Metadata.Namespace,
            Uid = about.Metadata.Uid,
            ResourceVersion = about.Metadata.ResourceVersion,
        },
        Type = type,
        Reason = reason,
        Message = message.Length > 1024 ? message[..1024] : message,
        Count = 1,
        FirstTimestamp = now,
        LastTimestamp = now,
        Source = new EventSource { Component = _component },
        ReportingComponent = _component,
        ReportingInstance = _instance,
    };
}
