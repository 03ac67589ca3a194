namespace DeepSeekV3.Operator.Api.Schema;

/// <summary>An additionalPrinterColumns entry: what `kubectl get` shows for the kind.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class PrinterColumnAttribute(string name, string type, string jsonPath) : Attribute
{
    public string Name { get; } = name;

    /// <summary>OpenAPI type of the column: string, integer, date, ...</summary>
    public string Type { get; } = type;

    public string JsonPath { get; } = jsonPath;

    public string? Description { get; init; }

    /// <summary>0 shows the column always; higher values only with `-o wide`.</summary>
    public int Priority { get; init; }
}
