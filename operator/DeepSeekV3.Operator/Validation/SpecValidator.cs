using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Desired;

namespace DeepSeekV3.Operator.Validation;

/// <summary>
/// Everything checked before the operator changes anything. The CRD schema already enforces types, ranges and
/// patterns on the API server; they are checked again here so `render` (no server) and objects written before a
/// schema change get the same answers. Then the DeepSeek-aware rules: experts divide over a group's GPUs, the model
/// fits the GPUs with a minimum KV cache, and generated names stay valid DNS labels.
/// </summary>
public static class SpecValidator
{
    public static IReadOnlyList<SpecError> Validate(DeepSeekDeployment deployment)
    {
        var errors = new List<SpecError>();
        var spec = deployment.Spec;
        if (string.IsNullOrWhiteSpace(spec.Model.Name))
        {
            errors.Add(new("spec.model.name", "must name the served model (the `model` clients send)"));
        }

        if (string.IsNullOrWhiteSpace(spec.Image))
        {
            errors.Add(new("spec.image", "must name the dsv3 worker image"));
        }

        int sources = (spec.Model.Source.Pvc is null ? 0 : 1) + (spec.Model.Source.HostPath is null ? 0 : 1) + (spec.Model.Source.Uri is null ? 0 : 1);
        if (sources != 1)
        {
            errors.Add(new("spec.model.source", $"exactly one of pvc, hostPath or uri must be set ({sources} are)"));
        }

        ValidatePool(deployment, PoolRole.Prefill, spec.Prefill, errors);
        ValidatePool(deployment, PoolRole.Decode, spec.Decode, errors);
        Range(errors, "spec.router.replicas", spec.Router.Replicas, 0, 256);
        Range(errors, "spec.router.port", spec.Router.Port, 1, 65535);
        Range(errors, "spec.rollout.maxUnavailable", spec.Rollout.MaxUnavailable, 0, 1024);
        Range(errors, "spec.rollout.maxSurge", spec.Rollout.MaxSurge, 0, 1024);
        if (spec.Rollout.MaxUnavailable + spec.Rollout.MaxSurge < 1)
        {
            errors.Add(new("spec.rollout", "maxUnavailable + maxSurge must be at least 1, or a rollout could never progress"));
        }
        Range(errors, "spec.rollout.groupRestartLimit", spec.Rollout.GroupRestartLimit, 1, 100);
        return errors;
    }

    /// <summary>The capacity plan of one group of a pool (its KV tokens go into the status).</summary>
    public static CapacityPlan Plan(DeepSeekDeploymentSpec spec, PoolSpec pool) =>
        CapacityPlanner.Plan(spec.Model.Precision, pool.NodesPerReplica * pool.GpusPerNode, pool.GpuMemoryGiB, pool.RedundantExperts);

    private static void ValidatePool(DeepSeekDeployment deployment, PoolRole role, PoolSpec pool, List<SpecError> errors)
    {
        string path = $"spec.{Names.Pool(role)}";
        int before = errors.Count;
        Range(errors, $"{path}.replicas", pool.Replicas, 0, 1024);
        Range(errors, $"{path}.nodesPerReplica", pool.NodesPerReplica, 1, 64);
        Range(errors, $"{path}.gpusPerNode", pool.GpusPerNode, 1, 16);
        Range(errors, $"{path}.gpuMemoryGiB", pool.GpuMemoryGiB, 1, 1024);
        Range(errors, $"{path}.redundantExperts", pool.RedundantExperts, 0, 256);
        if (errors.Count > before)
        {
            return; // the rules below need sane numbers
        }

        int gpus = pool.NodesPerReplica * pool.GpusPerNode;
        if (ExpertPlacement.Check(gpus, pool.RedundantExperts) is { } placement)
        {
            errors.Add(new($"{path}.redundantExperts", placement));
        }

        var plan = Plan(deployment.Spec, pool);
        if (!plan.Fits)
        {
            errors.Add(new(path, $"the model does not fit a group of {pool.NodesPerReplica} x {pool.GpusPerNode} GPUs of {pool.GpuMemoryGiB} GiB: {plan.Message}"));
        }

        string name = Names.GroupStatefulSet(deployment.Metadata.Name ?? "", role, Math.Max(0, pool.Replicas - 1 + deployment.Spec.Rollout.MaxSurge));
        if (name.Length > Names.MaxStatefulSetNameLength)
        {
            errors.Add(new("metadata.name", $"too long: the group StatefulSet name '{name}' would exceed {Names.MaxStatefulSetNameLength} characters"));
        }
    }

    private static void Range(List<SpecError> errors, string path, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            errors.Add(new(path, $"must be between {minimum} and {maximum}, not {value}"));
        }
    }
}
