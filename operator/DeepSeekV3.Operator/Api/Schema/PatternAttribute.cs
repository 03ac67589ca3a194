namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>OpenAPI "pattern" (an ECMA-262 regular expression) for a string field.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class PatternAttribute(string regex) : Attribute
{
    public string Regex { get; } = regex;
}
