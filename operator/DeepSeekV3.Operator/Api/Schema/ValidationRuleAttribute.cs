namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>
/// One x-kubernetes-validations CEL rule on the object schema of the annotated type; `self` is that
/// object (Kubernetes "Validation rules" for CRDs). Message is what the user sees when the rule fails.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class ValidationRuleAttribute(string rule, string message) : Attribute
{
    public string Rule { get; } = rule;

    public string Message { get; } = message;
}
