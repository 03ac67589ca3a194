namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>OpenAPI "maxLength"; CEL rules over strings need a bound to stay within the API server's cost budget.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class MaxLengthAttribute(int value) : Attribute
{
    public int Value { get; } = value;
}
