using System.Globalization;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// One group of a pool as a StatefulSet: nodesPerReplica pods whose ordinals are their ranks. Every pod learns its
/// role, rank, group size, the leader's and all peers' stable addresses from its environment (ours, plus the
/// LeaderWorkerSet variables so LWS-aware tooling works). Pods start in parallel (ranks wait for each other), and
/// the StatefulSet uses OnDelete: the operator replaces a group whole, never one rank at a time.
/// </summary>
public static class WorkerGroupBuilder
{
    private const string ModelMountPath = "/model";

    public static StatefulSet Build(DeepSeekDeployment owner, PoolRole role, int group)
    {
        var spec = owner.Spec;
        var pool = role == PoolRole.Prefill ? spec.Prefill : spec.Decode;
        string name = owner.Metadata.Name ?? "";
        string ns = owner.Metadata.Namespace ?? "default";
        string component = Names.Pool(role);
        string groupText = group.ToString(CultureInfo.InvariantCulture);
        var peers = Enumerable.Range(0, pool.NodesPerReplica)
            .Select(rank => Names.RankAddress(name, ns, role, group, rank, Ports.WorkerGrpc)).ToList();
        var template = new PodTemplateSpec
        {
            Metadata = new ObjectMeta { Labels = PodLabels(owner, component, groupText) },
            Spec = PodSpecFor(owner, role, pool, group, peers),
        };
        string revision = ModelRevision.Of(spec);
        template.Metadata.Labels![Labels.Revision] = revision;
        template.Spec!.Containers[0].Env!.Add(new EnvVar { Name = "DSV3_REVISION", Value = revision });

        var selector = ChildMetadata.SelectorLabels(owner, component);
        selector[Labels.Group] = groupText;
        var statefulSet = new StatefulSet
        {
            ApiVersion = ResourceKind.StatefulSets.ApiVersion,
            Kind = ResourceKind.StatefulSets.Kind,
            Metadata = ChildMetadata.For(owner, Names.GroupStatefulSet(name, role, group), component,
                new() { [Labels.Group] = groupText, [Labels.Revision] = revision }),
            Spec = new StatefulSetSpec
            {
                Replicas = pool.NodesPerReplica,
                ServiceName = Names.PoolService(name, role),
                PodManagementPolicy = "Parallel",
                UpdateStrategy = new StatefulSetUpdateStrategy { Type = "OnDelete" },
                Selector = new LabelSelector { MatchLabels = selector },
                Template = template,
            },
        };
        return statefulSet;
    }

    /// <summary>The revision label of a group (see <see cref="ModelRevision"/>).</summary>
    public static string RevisionOf(StatefulSet group) => group.Metadata.Labels?.GetValueOrDefault(Labels.Revision) ?? "";

    private static Dictionary<string, string> PodLabels(DeepSeekDeployment owner, string component, string group)
    {
        var labels = ChildMetadata.SelectorLabels(owner, component);
        labels[Labels.Name] = Labels.NameValue;
        labels[Labels.ManagedBy] = Labels.ManagedByValue;
        labels[Labels.PartOf] = Labels.PartOfValue;
        labels[Labels.Group] = group;
        labels[Labels.Serving] = "true";
        return labels;
    }

    private static PodSpec PodSpecFor(DeepSeekDeployment owner, PoolRole role, PoolSpec pool, int group, List<string> peers)
    {
        var spec = owner.Spec;
        var rankFromOrdinal = new EnvVarSource { FieldRef = new ObjectFieldSelector { FieldPath = $"metadata.labels['{Labels.PodIndex}']" } };
        string groupSize = pool.NodesPerReplica.ToString(CultureInfo.InvariantCulture);
        var env = new List<EnvVar>
        {
            new() { Name = "DSV3_ROLE", Value = Names.Pool(role) },
            new() { Name = "DSV3_GROUP", Value = group.ToString(CultureInfo.InvariantCulture) },
            new() { Name = "DSV3_RANK", ValueFrom = rankFromOrdinal },
            new() { Name = "DSV3_GROUP_SIZE", Value = groupSize },
            new() { Name = "DSV3_LEADER_ADDRESS", Value = peers[0] },
            new() { Name = "DSV3_PEERS", Value = string.Join(',', peers) },
            new() { Name = "DSV3_REDUNDANT_EXPERTS", Value = pool.RedundantExperts.ToString(CultureInfo.InvariantCulture) },
            // LeaderWorkerSet's variables (sigs.k8s.io/lws), so tooling written for LWS groups works unchanged.
            new() { Name = "LWS_LEADER_ADDRESS", Value = peers[0] },
            new() { Name = "LWS_GROUP_SIZE", Value = groupSize },
            new() { Name = "LWS_WORKER_INDEX", ValueFrom = rankFromOrdinal },
        };
        var resources = new ResourceRequirements
        {
            Requests = new Dictionary<string, string>(pool.Resources?.Requests ?? []),
            Limits = new Dictionary<string, string>(pool.Resources?.Limits ?? []),
        };
        string gpus = pool.GpusPerNode.ToString(CultureInfo.InvariantCulture);
        resources.Requests["nvidia.com/gpu"] = gpus; // extended resources must have requests == limits
        resources.Limits["nvidia.com/gpu"] = gpus;
        var container = new Container
        {
            Name = "worker",
            Image = spec.Image,
            ImagePullPolicy = spec.ImagePullPolicy?.ToString(),
            Args =
            [
                "serve", "--role", Names.Pool(role), "--model", ModelMountPath, "--host", "0.0.0.0",
                "--grpc-port", Ports.WorkerGrpc.ToString(CultureInfo.InvariantCulture),
                "--port", Ports.WorkerHttp.ToString(CultureInfo.InvariantCulture),
                "--served-model-name", spec.Model.Name,
            ],
            Env = env,
            Ports =
            [
                new ContainerPort { Name = "grpc", Port = Ports.WorkerGrpc },
                new ContainerPort { Name = "http", Port = Ports.WorkerHttp },
            ],
            Resources = resources,
            VolumeMounts = [ModelVolume.Mount(spec.Model.Source, ModelMountPath)],
            // Loading hundreds of GB of weights takes many minutes: the startup probe allows an hour (360 x 10 s)
            // before liveness applies, so a loading rank is never killed (kubelet startupProbe semantics).
            StartupProbe = new Probe { Grpc = new GrpcAction { Port = Ports.WorkerGrpc }, PeriodSeconds = 10, FailureThreshold = 360 },
            ReadinessProbe = new Probe { Grpc = new GrpcAction { Port = Ports.WorkerGrpc }, PeriodSeconds = 5, FailureThreshold = 3 },
            LivenessProbe = new Probe { Grpc = new GrpcAction { Port = Ports.WorkerGrpc }, PeriodSeconds = 15, FailureThreshold = 4, TimeoutSeconds = 5 },
        };
        var podSpec = new PodSpec
        {
            Containers = [container],
            Volumes = [ModelVolume.Volume(spec.Model.Source)],
            // Draining in-flight requests on SIGTERM needs time; long generations get two minutes.
            TerminationGracePeriodSeconds = 120,
            Subdomain = Names.PoolService(owner.Metadata.Name ?? "", role),
        };
        if (ModelVolume.FetchContainer(spec.Model.Source, ModelMountPath) is { } fetch)
        {
            podSpec.InitContainers = [fetch];
        }

        if (spec.ImagePullSecrets is { Count: > 0 } secrets)
        {
            podSpec.ImagePullSecrets = [.. secrets.Select(s => new LocalObjectReference { Name = s })];
        }

        PodScheduling.Apply(spec.Scheduling, podSpec);
        return podSpec;
    }
}
