namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>
/// The structural-schema "default" the API server applies when the field is absent (CRD defaulting,
/// applied on read and write). The value is a JSON literal: 1, "fp8", true.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class DefaultAttribute(string json) : Attribute
{
    public string Json { get; } = json;
}
