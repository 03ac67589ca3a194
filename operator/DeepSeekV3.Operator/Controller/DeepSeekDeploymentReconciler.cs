using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Client;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Kubernetes.Runtime;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Desired;
using DeepSeekV3.Operator.Validation;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// One level-triggered, idempotent pass over a DeepSeekDeployment: validate; create or update every child whose
/// spec-hash differs from the desired one; carry out the group planner's decisions; write the status when it
/// changed. It reads the informer caches and writes through the client, so a pass that finds the world as
/// desired writes nothing. An invalid spec gets a condition and an Event and leaves existing children alone.
/// </summary>
public sealed class DeepSeekDeploymentReconciler
{
    private readonly KubernetesClient _client;
    private readonly ClusterCache _cache;
    private readonly EventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public DeepSeekDeploymentReconciler(KubernetesClient client, ClusterCache cache, EventRecorder events, TimeProvider time, ILogger logger)
    {
        _client = client;
        _cache = cache;
        _events = events;
        _time = time;
        _logger = logger;
    }

    /// <summary>How long a scaled-down group stays out of the serving Service before it is deleted.</summary>
    public TimeSpan DrainPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reconciles one deployment; returns when to look again (null: only when something changes).</summary>
    public async Task<ReconcileOutcome> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var deployment = _cache.Deployments.Get(@namespace, name);
        if (deployment is null || deployment.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileOutcome.Done; // gone or going: the garbage collector removes the children (ownerReferences)
        }

        var now = _time.GetUtcNow();
        var errors = SpecValidator.Validate(deployment);
        if (errors.Count > 0)
        {
            var invalid = StatusCalculator.Invalid(deployment, errors, now);
            if (await WriteStatusAsync(deployment, invalid, cancellationToken).ConfigureAwait(false))
            {
                var condition = invalid.Conditions!.First(c => c.Type == ConditionSet.SpecValid);
                await _events.RecordAsync(deployment, EventRecorder.Warning, condition.Reason, condition.Message, cancellationToken).ConfigureAwait(false);
            }

            return ReconcileOutcome.InvalidSpec;
        }

        var desired = DesiredState.Build(deployment);
        await EnsureAsync(deployment, ResourceKind.ConfigMaps, desired.Topology, _cache.ConfigMaps, KubernetesJsonContext.Default.ConfigMap, cancellationToken).ConfigureAwait(false);
        foreach (var service in desired.Services)
        {
            await EnsureAsync(deployment, ResourceKind.Services, service, _cache.Services, KubernetesJsonContext.Default.Service, cancellationToken).ConfigureAwait(false);
        }

        await EnsureAsync(deployment, ResourceKind.NetworkPolicies, desired.NetworkPolicy, _cache.NetworkPolicies, KubernetesJsonContext.Default.NetworkPolicy, cancellationToken).ConfigureAwait(false);
        foreach (var budget in desired.DisruptionBudgets)
        {
            await EnsureAsync(deployment, ResourceKind.PodDisruptionBudgets, budget, _cache.Budgets, KubernetesJsonContext.Default.PodDisruptionBudget, cancellationToken).ConfigureAwait(false);
        }

        var plans = new List<PoolPlan>();
        foreach (var role in new[] { PoolRole.Prefill, PoolRole.Decode })
        {
            var plan = GroupPlanner.Plan(
                role, [.. desired.Groups.Where(g => g.Metadata.Labels![Labels.Component] == Names.Pool(role))],
                Observe(deployment, role), deployment.Spec.Rollout, now, DrainPeriod,
                DesiredState.SurgeGroups(deployment, role, deployment.Spec.Rollout.MaxSurge));
            foreach (var action in plan.Actions)
            {
                await ExecuteAsync(deployment, action, now, cancellationToken).ConfigureAwait(false);
            }

            plans.Add(plan);
        }

        await EnsureAsync(deployment, ResourceKind.Deployments, desired.Router, _cache.AppDeployments, KubernetesJsonContext.Default.Deployment, cancellationToken).ConfigureAwait(false);
        var router = _cache.AppDeployments.Get(@namespace, desired.Router.Metadata.Name!);
        var status = StatusCalculator.Valid(deployment, plans[0], plans[1], router, now);
        await WriteStatusAsync(deployment, status, cancellationToken).ConfigureAwait(false);

        var requeue = plans.Select(p => p.RequeueAfter).Where(r => r is not null).DefaultIfEmpty(null).Min();
        return new ReconcileOutcome(requeue, plans.Sum(p => p.Actions.Count));
    }

    /// <summary>The groups of a pool this deployment controls, with the pods each StatefulSet owns.</summary>
    private List<GroupObservation> Observe(DeepSeekDeployment deployment, PoolRole role)
    {
        string key = $"{deployment.Metadata.Namespace}/{deployment.Metadata.Name}";
        var pods = _cache.Pods.ByIndex(key);
        return [.. _cache.StatefulSets.ByIndex(key)
            .Where(s => s.Metadata.Labels?.GetValueOrDefault(Labels.Component) == Names.Pool(role) && IsControlledBy(s, deployment))
            .Select(s => new GroupObservation(s, [.. pods.Where(p => p.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Uid == s.Metadata.Uid) == true)]))];
    }

    private async Task ExecuteAsync(DeepSeekDeployment deployment, GroupAction action, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string ns = deployment.Metadata.Namespace!;
        // Our own annotations keep fractions of a second (RFC 3339 allows them): a 1 s drain must last 1 s.
        string stamp = Stamp(now);
        switch (action)
        {
            case CreateGroup create:
                if (await CreateAsync(ResourceKind.StatefulSets, create.Desired, KubernetesJsonContext.Default.StatefulSet, cancellationToken).ConfigureAwait(false))
                {
                    await Event(deployment, EventRecorder.Normal, "GroupCreated", $"created group {create.Desired.Metadata.Name} ({create.Desired.Spec!.Replicas} ranks)", cancellationToken).ConfigureAwait(false);
                }

                break;
            case ReplaceGroup replace:
                replace.Desired.Metadata.ResourceVersion = replace.Current.Set.Metadata.ResourceVersion;
                replace.Desired.Metadata.Annotations![Labels.RetiredPods] = Retired(replace.Current); // not part of the spec hash
                await _client.ReplaceAsync(ResourceKind.StatefulSets, replace.Desired, KubernetesJsonContext.Default.StatefulSet, cancellationToken).ConfigureAwait(false);
                await DeletePodsAsync(replace.Current, cancellationToken).ConfigureAwait(false);
                await Event(deployment, EventRecorder.Normal, "GroupUpdating",
                    $"replacing group {replace.Current.Set.Metadata.Name} whole: revision {replace.Current.Revision} -> {WorkerGroupBuilder.RevisionOf(replace.Desired)}", cancellationToken).ConfigureAwait(false);
                break;
            case RestartGroup restart:
                await AnnotateAsync(restart.Current, new JsonObject
                {
                    [Labels.Restarts] = restart.Restarts.ToString(CultureInfo.InvariantCulture),
                    [Labels.LastRestart] = stamp,
                    [Labels.StartedAt] = null,
                    [Labels.RetiredPods] = Retired(restart.Current),
                }, cancellationToken).ConfigureAwait(false);
                await DeletePodsAsync(restart.Current, cancellationToken).ConfigureAwait(false);
                await Event(deployment, EventRecorder.Warning, "GroupRestarted",
                    $"restarting group {restart.Current.Set.Metadata.Name} whole (restart {restart.Restarts}): {restart.Why}", cancellationToken).ConfigureAwait(false);
                break;
            case MarkGroupStarted { ResetRestarts: true } stable:
                // Stable long enough: the start stays as it is, the restarts are forgiven.
                await AnnotateAsync(stable.Current, new JsonObject { [Labels.Restarts] = null, [Labels.LastRestart] = null }, cancellationToken).ConfigureAwait(false);
                break;
            case MarkGroupStarted started:
                await AnnotateAsync(started.Current, new JsonObject { [Labels.StartedAt] = stamp }, cancellationToken).ConfigureAwait(false);
                await Event(deployment, EventRecorder.Normal, "GroupReady", $"every rank of group {started.Current.Set.Metadata.Name} is ready", cancellationToken).ConfigureAwait(false);
                break;
            case DrainGroup drain:
                await LabelPodsAsync(drain.Current, "false", cancellationToken).ConfigureAwait(false);
                await AnnotateAsync(drain.Current, new JsonObject { [Labels.DrainingSince] = stamp }, cancellationToken).ConfigureAwait(false);
                await Event(deployment, EventRecorder.Normal, "GroupDraining",
                    $"group {drain.Current.Set.Metadata.Name} takes no new requests; deleting it in {DrainPeriod.TotalSeconds:F0} s", cancellationToken).ConfigureAwait(false);
                break;
            case UndrainGroup undrain:
                await LabelPodsAsync(undrain.Current, "true", cancellationToken).ConfigureAwait(false);
                await AnnotateAsync(undrain.Current, new JsonObject { [Labels.DrainingSince] = null }, cancellationToken).ConfigureAwait(false);
                break;
            case DeleteGroup delete:
                await _client.DeleteAsync(ResourceKind.StatefulSets, ns, delete.Current.Set.Metadata.Name!, cancellationToken: cancellationToken).ConfigureAwait(false);
                await Event(deployment, EventRecorder.Normal, "GroupDeleted", $"deleted drained group {delete.Current.Set.Metadata.Name}", cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentException($"unknown action {action.GetType().Name}", nameof(action));
        }
    }

    /// <summary>Creates the child if missing; merge-patches it when its spec-hash differs; leaves another controller's object alone.</summary>
    private async Task EnsureAsync<T>(DeepSeekDeployment owner, ResourceKind kind, T desired, Informer<T> cache, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        var existing = cache.Get(desired.Metadata.Namespace, desired.Metadata.Name!);
        if (existing is null)
        {
            if (await CreateAsync(kind, desired, type, cancellationToken).ConfigureAwait(false) is false)
            {
                _logger.LogDebug("{Kind} {Name} exists already (cache behind)", kind.Kind, desired.Metadata.Name);
            }

            return;
        }

        if (!IsControlledBy(existing, owner))
        {
            await Event(owner, EventRecorder.Warning, "ChildConflict",
                $"{kind.Kind} {desired.Metadata.Name} exists and is not controlled by this DeepSeekDeployment; leaving it alone", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (DesiredState.HashOf(existing) == DesiredState.HashOf(desired))
        {
            return;
        }

        // A merge patch (RFC 7386) of our fields keeps what the API server filled in (a Service's clusterIP,
        // defaulted fields); the resourceVersion makes it fail with 409 rather than overwrite a newer object.
        var patch = JsonSerializer.SerializeToNode(desired, type)!.AsObject();
        patch["metadata"]!["resourceVersion"] = existing.Metadata.ResourceVersion;
        await _client.PatchAsync(kind, desired.Metadata.Namespace, desired.Metadata.Name!, patch, type, cancellationToken: cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("updated {Kind} {Namespace}/{Name}", kind.Kind, desired.Metadata.Namespace, desired.Metadata.Name);
    }

    /// <summary>Creates an object; false when it exists already (the cache had not seen it yet).</summary>
    private async Task<bool> CreateAsync<T>(ResourceKind kind, T desired, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        try
        {
            await _client.CreateAsync(kind, desired, type, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubernetesApiException e) when (e.IsAlreadyExists)
        {
            return false;
        }
    }

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The uids of the group's pods about to be deleted, for the retired-pods annotation.</summary>
    private static string Retired(GroupObservation group) => string.Join(',', group.Pods.Select(p => p.Metadata.Uid));

    private Task<StatefulSet> AnnotateAsync(GroupObservation group, JsonObject annotations, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = group.Set.Metadata.ResourceVersion, ["annotations"] = annotations },
        };
        return _client.PatchAsync(ResourceKind.StatefulSets, group.Set.Metadata.Namespace, group.Set.Metadata.Name!, patch, KubernetesJsonContext.Default.StatefulSet, cancellationToken: cancellationToken);
    }

    private async Task LabelPodsAsync(GroupObservation group, string serving, CancellationToken cancellationToken)
    {
        foreach (var pod in group.Pods)
        {
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [Labels.Serving] = serving } } };
            try
            {
                await _client.PatchAsync(ResourceKind.Pods, pod.Metadata.Namespace, pod.Metadata.Name!, patch, KubernetesJsonContext.Default.Pod, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (KubernetesApiException e) when (e.IsNotFound)
            {
                // gone meanwhile: nothing to relabel
            }
        }
    }

    private async Task DeletePodsAsync(GroupObservation group, CancellationToken cancellationToken)
    {
        foreach (var pod in group.Pods.Where(p => p.Metadata.DeletionTimestamp is null))
        {
            await _client.DeleteAsync(ResourceKind.Pods, pod.Metadata.Namespace, pod.Metadata.Name!, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the status through the status subresource when it differs; true when it was written.</summary>
    private async Task<bool> WriteStatusAsync(DeepSeekDeployment deployment, DeepSeekDeploymentStatus status, CancellationToken cancellationToken)
    {
        var type = OperatorJsonContext.Default.DeepSeekDeploymentStatus;
        if (deployment.Status is not null && JsonSerializer.Serialize(deployment.Status, type) == JsonSerializer.Serialize(status, type))
        {
            return false;
        }

        var update = new DeepSeekDeployment
        {
            ApiVersion = deployment.ApiVersion,
            Kind = deployment.Kind,
            Metadata = deployment.Metadata,
            Spec = deployment.Spec,
            Status = status,
        };
        await _client.ReplaceStatusAsync(ClusterCache.DeepSeekDeployments, update, OperatorJsonContext.Default.DeepSeekDeployment, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private Task Event(DeepSeekDeployment deployment, string type, string reason, string message, CancellationToken cancellationToken)
    {
        _logger.LogInformation("{Namespace}/{Name}: {Reason}: {Message}", deployment.Metadata.Namespace, deployment.Metadata.Name, reason, message);
        return _events.RecordAsync(deployment, type, reason, message, cancellationToken);
    }

    private static bool IsControlledBy(KubernetesObject child, DeepSeekDeployment owner) =>
        child.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Uid == owner.Metadata.Uid) == true;
}
