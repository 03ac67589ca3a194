using System.Globalization;

namespace DeepSeekV3.Operator.Validation;

/// <summary>
/// Expert parallelism gives every GPU of a group the same number of experts per MoE layer, so routed
/// plus redundant experts must divide evenly over the group's GPUs.
/// </summary>
public static class ExpertPlacement
{
    /// <summary>Returns null when the experts divide evenly, otherwise a message with the numbers.</summary>
    public static string? Check(int gpusPerGroup, int redundantExperts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gpusPerGroup, 1);
        var experts = CapacityPlanner.RoutedExperts + redundantExperts;
        return experts % gpusPerGroup == 0
            ? null
            : string.Format(
                CultureInfo.InvariantCulture,
                "{0} routed + {1} redundant = {2} experts do not divide evenly over {3} GPUs per group",
                CapacityPlanner.RoutedExperts,
                redundantExperts,
                experts,
                gpusPerGroup);
    }
}
