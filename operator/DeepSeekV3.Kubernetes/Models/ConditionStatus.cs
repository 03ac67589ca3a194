namespace DeepSeekV3.Kubernetes.Models;

/// <summary>The three values of a condition's status (api-conventions.md "Typical status properties").</summary>
public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}
