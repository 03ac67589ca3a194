using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>Copies spec.scheduling onto a pod spec (worker and router pods alike).</summary>
public static class PodScheduling
{
    public static void Apply(SchedulingSpec? scheduling, PodSpec pod)
    {
        if (scheduling is null)
        {
            return;
        }

        pod.NodeSelector = scheduling.NodeSelector is null ? null : new(scheduling.NodeSelector);
        pod.Tolerations = scheduling.Tolerations is null ? null : [.. scheduling.Tolerations];
        pod.Affinity = scheduling.Affinity;
        pod.PriorityClassName = scheduling.PriorityClassName;
        pod.SchedulerName = scheduling.SchedulerName;
    }
}
