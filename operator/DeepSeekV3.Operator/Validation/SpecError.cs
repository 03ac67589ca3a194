namespace DeepSeekV3.Operator.Validation;

/// <summary>One reason a spec is refused: the field path (as in kubectl's field errors) and what is wrong.</summary>
public sealed record SpecError(string FieldPath, string Message)
{
    public override string ToString() => $"{FieldPath}: {Message}";
}
