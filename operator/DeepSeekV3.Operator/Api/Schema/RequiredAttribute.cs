namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>The field is listed in its object's OpenAPI "required".</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class RequiredAttribute : Attribute;
