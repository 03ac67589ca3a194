namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>OpenAPI "maximum" for an integer field.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class MaximumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}
