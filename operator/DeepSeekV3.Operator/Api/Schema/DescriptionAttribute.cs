namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>The OpenAPI description of a field or type in the generated CRD (what `kubectl explain` prints).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Enum, AllowMultiple = false)]
public sealed class DescriptionAttribute(string text) : Attribute
{
    public string Text { get; } = text;
}
