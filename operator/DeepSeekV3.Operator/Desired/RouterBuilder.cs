using System.Globalization;
using DeepSeekV3.Kubernetes;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// The router: a Deployment of `dsv3 serve --role router` pods in front of the pools' serving Services (headless, so
/// DNS gives one address per ready, non-draining rank and the router re-resolves as groups come and go), and the
/// ClusterIP Service clients call.
/// </summary>
public static class RouterBuilder
{
    public const string Component = "router";

    public static Deployment Deployment(DeepSeekDeployment owner)
    {
        var spec = owner.Spec;
        string name = owner.Metadata.Name ?? "";
        string ns = owner.Metadata.Namespace ?? "default";
        string Serving(PoolRole role) => $"{Names.ServingService(name, role)}.{ns}.svc:{Ports.WorkerGrpc}";
        var env = new List<EnvVar>();
        if (spec.Router.ApiKeySecret is { } keys)
        {
            env.Add(new EnvVar { Name = "DSV3_API_KEYS", ValueFrom = new EnvVarSource { SecretKeyRef = new SecretKeySelector { Name = keys.Name, Key = keys.Key } } });
        }

        var container = new Container
        {
            Name = "router",
            Image = spec.Image,
            ImagePullPolicy = spec.ImagePullPolicy?.ToString(),
            Args =
            [
                "serve", "--role", "router", "--model", "/model", "--host", "0.0.0.0",
                "--port", Ports.RouterHttp.ToString(CultureInfo.InvariantCulture),
                "--served-model-name", spec.Model.Name,
                "--prefill", Serving(PoolRole.Prefill), "--decode", Serving(PoolRole.Decode),
                "--routing-policy", PolicyFlag(spec.Router.RoutingPolicy),
            ],
            Env = env.Count == 0 ? null : env,
            Ports = [new ContainerPort { Name = "http", Port = Ports.RouterHttp }],
            Resources = spec.Router.Resources,
            // The router reads only config.json and the tokenizer from the checkpoint.
            VolumeMounts = [ModelVolume.Mount(spec.Model.Source, "/model")],
            ReadinessProbe = new Probe { HttpGet = new HttpGetAction { Path = "/health", Port = Ports.RouterHttp }, PeriodSeconds = 5 },
            LivenessProbe = new Probe { HttpGet = new HttpGetAction { Path = "/health", Port = Ports.RouterHttp }, PeriodSeconds = 15, FailureThreshold = 4, InitialDelaySeconds = 30 },
        };
        var pod = new PodSpec { Containers = [container], Volumes = [ModelVolume.Volume(spec.Model.Source)] };
        if (ModelVolume.FetchContainer(spec.Model.Source, "/model") is { } fetch)
        {
            pod.InitContainers = [fetch];
        }

        PodScheduling.Apply(spec.Scheduling, pod);
        var labels = ChildMetadata.For(owner, "", Component).Labels;
        return new Deployment
        {
            ApiVersion = ResourceKind.Deployments.ApiVersion,
            Kind = ResourceKind.Deployments.Kind,
            Metadata = ChildMetadata.For(owner, Names.Router(name), Component),
            Spec = new DeploymentSpec
            {
                Replicas = spec.Router.Replicas,
                Selector = new LabelSelector { MatchLabels = ChildMetadata.SelectorLabels(owner, Component) },
                Template = new PodTemplateSpec { Metadata = new ObjectMeta { Labels = labels }, Spec = pod },
                Strategy = new DeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new RollingUpdateDeployment { MaxUnavailable = 0, MaxSurge = 1 } },
            },
        };
    }

    public static Service Service(DeepSeekDeployment owner) => new()
    {
        ApiVersion = ResourceKind.Services.ApiVersion,
        Kind = ResourceKind.Services.Kind,
        Metadata = ChildMetadata.For(owner, Names.Router(owner.Metadata.Name ?? ""), Component),
        Spec = new ServiceSpec
        {
            Type = "ClusterIP",
            Selector = ChildMetadata.SelectorLabels(owner, Component),
            Ports = [new ServicePort { Name = "http", Port = owner.Spec.Router.Port, TargetPort = Ports.RouterHttp, Protocol = "TCP", AppProtocol = "http" }],
        },
    };

    public static string Endpoint(DeepSeekDeployment owner) =>
        $"http://{Names.Router(owner.Metadata.Name ?? "")}.{owner.Metadata.Namespace ?? "default"}.svc:{owner.Spec.Router.Port}/v1";

    private static string PolicyFlag(RoutingPolicy policy) => policy switch
    {
        RoutingPolicy.LeastLoaded => "least-loaded",
        RoutingPolicy.RoundRobin => "round-robin",
        _ => "cache-aware",
    };
}
