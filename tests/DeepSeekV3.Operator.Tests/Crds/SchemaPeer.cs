namespace DeepSeekV3.Operator.Tests.Crds;

/// <summary>
/// Validates documents against the generated CRD's openAPIV3Schema with python3-jsonschema (Debian's
/// /usr/bin/python3; .ci/run installs it) — an independent JSON Schema implementation, because JsonSchema.Net's
/// dependency JsonPointer.Net is not on this workplace's NuGet mirror.
/// </summary>
public static class SchemaPeer
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Validates DeepSeekDeployment documents against the generated CRD.</summary>
    public static (int ExitCode, string Output) Validate(string documents) => Run(documents, RepositoryPaths.Crd);

    /// <summary>Validates one YAML document against a plain JSON Schema file.</summary>
    public static (int ExitCode, string Output) ValidateJsonSchema(string document, string schemaPath) => Run(document, "--json-schema", schemaPath);

    private static (int ExitCode, string Output) Run(string input, params string[] arguments)
    {
        Assert.True(File.Exists(Python), "Debian's /usr/bin/python3 with python3-jsonschema is needed (.ci/run installs it)");
        string script = Path.Combine(RepositoryPaths.Root, "tests", "DeepSeekV3.Operator.Tests", "Crds", "validate_against_crd.py");
        return PeerProcess.RunAsync(Python, [script, .. arguments, "-"], input).GetAwaiter().GetResult();
    }
}
