namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>
/// x-kubernetes-preserve-unknown-fields: the field holds a Kubernetes type we pass through unchanged
/// (affinity), so its schema is left open instead of copying the upstream one.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class PreserveUnknownFieldsAttribute : Attribute;
