using System.Text.Json;
using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Pod scheduling, applied to worker and router pods.")]
public sealed class SchedulingSpec
{
    [Description("Node labels every pod must match (e.g. the GPU product).")]
    public Dictionary<string, string>? NodeSelector { get; set; }

    [Description("Taints the pods tolerate (e.g. nvidia.com/gpu:NoSchedule).")]
    public List<Toleration>? Tolerations { get; set; }

    [PreserveUnknownFields]
    [Description("core/v1 Affinity, passed to the pods unchanged.")]
    public JsonElement? Affinity { get; set; }

    [MaxLength(253)]
    [Description("PriorityClass of the pods.")]
    public string? PriorityClassName { get; set; }

    [MaxLength(253)]
    [Description("Scheduler of the pods (e.g. a gang scheduler, so a group's pods are placed together or not at all).")]
    public string? SchedulerName { get; set; }
}
