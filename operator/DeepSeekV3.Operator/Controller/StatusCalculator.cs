using System.Globalization;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Desired;
using DeepSeekV3.Operator.Validation;

namespace DeepSeekV3.Operator.Controller;

/// <summary>
/// The status of a DeepSeekDeployment as a pure function of the plans and what the cluster shows. The scale
/// subresource reads .status.replicas (decode groups) and .status.selector (decode leader pods only, so an HPA
/// averages one value per group). Condition reasons tell capacity problems, crashes and updates apart.
/// </summary>
public static class StatusCalculator
{
    public static DeepSeekDeploymentStatus Valid(
        DeepSeekDeployment deployment, PoolPlan prefill, PoolPlan decode, Deployment? router, DateTimeOffset now)
    {
        var spec = deployment.Spec;
        string name = deployment.Metadata.Name ?? "";
        int routerReady = router?.Status?.ReadyReplicas ?? 0;
        bool available = prefill.Ready > 0 && decode.Ready > 0 && routerReady > 0;
        var givenUp = prefill.GivenUp.Concat(decode.GivenUp).ToList();
        var failing = prefill.Failing.Concat(decode.Failing).ToList();
        bool rollingOut = (prefill.RollingOut && prefill.Existing > 0) || (decode.RollingOut && decode.Existing > 0);
        bool settled = prefill.Ready == prefill.Desired && decode.Ready == decode.Desired && !rollingOut
            && prefill.Draining == 0 && decode.Draining == 0 && routerReady >= spec.Router.Replicas;

        var conditions = new List<Condition>
        {
            ConditionSet.Make(ConditionSet.SpecValid, true, "Valid", "the spec passed validation and the model fits every group"),
            available
                ? ConditionSet.Make(ConditionSet.Available, true, "MinimumGroupsAvailable", $"{prefill.Ready} prefill and {decode.Ready} decode groups ready, router ready")
                : ConditionSet.Make(ConditionSet.Available, false, "NoReadyGroups", Missing(prefill, decode, routerReady)),
            settled
                ? ConditionSet.Make(ConditionSet.Progressing, false, "Complete", "every group is ready and up to date")
                : ConditionSet.Make(ConditionSet.Progressing, true, ProgressReason(prefill, decode, rollingOut), Progress(prefill, decode)),
            rollingOut
                ? ConditionSet.Make(ConditionSet.UpdateInProgress, true, "RollingOut", $"prefill {prefill.Updated}/{prefill.Desired}, decode {decode.Updated}/{decode.Desired} groups updated")
                : ConditionSet.Make(ConditionSet.UpdateInProgress, false, "UpToDate", "every group runs the current spec"),
            givenUp.Count > 0 ? ConditionSet.Make(ConditionSet.Degraded, true, "GroupRestartLimitReached", string.Join("; ", givenUp))
            : failing.Count > 0 ? ConditionSet.Make(ConditionSet.Degraded, true, "GroupCrashed", string.Join("; ", failing))
            : ConditionSet.Make(ConditionSet.Degraded, false, "Healthy", "no group has failed"),
        };

        var status = Base(deployment, now, conditions);
        status.Phase = givenUp.Count > 0 || failing.Count > 0 ? DeploymentPhase.Degraded
            : settled ? DeploymentPhase.Available
            : prefill.Existing + decode.Existing == 0 ? DeploymentPhase.Pending
            : DeploymentPhase.Progressing;
        status.Replicas = decode.Existing;
        status.Ready = $"{decode.Ready}/{decode.Desired}";
        status.Prefill = Pool(spec, spec.Prefill, prefill);
        status.Decode = Pool(spec, spec.Decode, decode);
        status.Endpoint = $"http://{Names.Router(name)}.{deployment.Metadata.Namespace}.svc:{spec.Router.Port.ToString(CultureInfo.InvariantCulture)}/v1";
        return status;
    }

    /// <summary>
    /// The status of a spec that failed validation: SpecValid false with every error, nothing else changed —
    /// existing children keep running as they are, so the pool figures stay what they were.
    /// </summary>
    public static DeepSeekDeploymentStatus Invalid(DeepSeekDeployment deployment, IReadOnlyList<SpecError> errors, DateTimeOffset now)
    {
        string reason = errors.Any(e => e.Message.Contains("does not fit", StringComparison.Ordinal)) ? "InsufficientGpuMemory"
            : errors.Any(e => e.FieldPath.EndsWith("redundantExperts", StringComparison.Ordinal)) ? "ExpertPlacement"
            : "InvalidSpec";
        var old = deployment.Status;
        var conditions = new List<Condition> { ConditionSet.Make(ConditionSet.SpecValid, false, reason, string.Join("; ", errors)) };
        conditions.AddRange(old?.Conditions?.Where(c => c.Type != ConditionSet.SpecValid).Select(Copy) ?? []);
        var status = Base(deployment, now, conditions);
        status.Phase = DeploymentPhase.Invalid;
        status.Replicas = old?.Replicas ?? 0;
        status.Ready = old?.Ready;
        status.Prefill = old?.Prefill;
        status.Decode = old?.Decode;
        status.Endpoint = old?.Endpoint;
        return status;
    }

    /// <summary>The label selector of the decode leader pods, as the scale subresource's string form.</summary>
    public static string LeaderSelector(string name) =>
        $"{Labels.Instance}={name},{Labels.Component}={Names.Pool(PoolRole.Decode)},{Labels.PodIndex}=0";

    private static DeepSeekDeploymentStatus Base(DeepSeekDeployment deployment, DateTimeOffset now, List<Condition> conditions) => new()
    {
        ObservedGeneration = deployment.Metadata.Generation,
        Conditions = ConditionSet.Merge(deployment.Status?.Conditions, conditions, now, deployment.Metadata.Generation),
        Selector = LeaderSelector(deployment.Metadata.Name ?? ""),
    };

    private static PoolStatus Pool(DeepSeekDeploymentSpec spec, PoolSpec pool, PoolPlan plan) => new()
    {
        Replicas = plan.Existing,
        ReadyReplicas = plan.Ready,
        UpdatedReplicas = plan.Updated,
        Revision = ModelRevision.Of(spec),
        KvCacheTokensPerGroup = SpecValidator.Plan(spec, pool).KvTokensPerGroup,
    };

    private static string ProgressReason(PoolPlan prefill, PoolPlan decode, bool rollingOut) =>
        rollingOut ? "RollingOut"
        : prefill.Draining + decode.Draining > 0 ? "ScalingDown"
        : prefill.Existing < prefill.Desired || decode.Existing < decode.Desired ? "CreatingGroups"
        : "GroupsStarting";

    private static string Progress(PoolPlan prefill, PoolPlan decode) =>
        $"prefill {prefill.Ready}/{prefill.Desired} ready, decode {decode.Ready}/{decode.Desired} ready"
        + (prefill.Draining + decode.Draining > 0 ? $", {prefill.Draining + decode.Draining} group(s) draining" : "");

    private static string Missing(PoolPlan prefill, PoolPlan decode, int routerReady) =>
        string.Join(", ", new[]
        {
            prefill.Ready == 0 ? "no prefill group is ready" : null,
            decode.Ready == 0 ? "no decode group is ready" : null,
            routerReady == 0 ? "no router replica is ready" : null,
        }.Where(s => s is not null));

    private static Condition Copy(Condition c) => new()
    {
        Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message,
        LastTransitionTime = c.LastTransitionTime, ObservedGeneration = c.ObservedGeneration,
    };
}
