namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>OpenAPI "minimum" for an integer field.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class MinimumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}
