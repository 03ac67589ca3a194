using System.Text.Json;
using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Api.V1Alpha1;
using DeepSeekV3.Operator.Crds;
using DeepSeekV3.Operator.Desired;
using DeepSeekV3.Operator.Validation;

namespace DeepSeekV3.Operator.Commands;

/// <summary>
/// <c>deepseek-operator render -f FILE</c>: the children the operator would create for a DeepSeekDeployment, as
/// multi-document YAML (previews, GitOps diffs), or its validation errors with exit code 1. No cluster is needed;
/// the ownerReference uid stays empty because the API server assigns it.
/// </summary>
public static class RenderCommand
{
    public const string Usage = "deepseek-operator render -f FILE";

    public static int Run(IReadOnlyList<string> arguments, TextWriter output, TextWriter error)
    {
        if (arguments.Count != 2 || arguments[0] is not ("-f" or "--file"))
        {
            throw new UsageException(Usage);
        }

        IReadOnlyList<DeepSeekDeployment> deployments;
        try
        {
            deployments = Read(File.ReadAllText(arguments[1]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or JsonException)
        {
            error.WriteLine($"{arguments[1]}: {e.Message}");
            return 1;
        }

        bool valid = true;
        foreach (var deployment in deployments)
        {
            var errors = SpecValidator.Validate(deployment);
            if (errors.Count > 0)
            {
                valid = false;
                error.WriteLine($"{arguments[1]}: DeepSeekDeployment {deployment.Metadata.Name} is invalid:");
                foreach (var specError in errors)
                {
                    error.WriteLine($"  {specError}");
                }
            }
        }

        if (!valid)
        {
            return 1; // nothing is printed for a file with any invalid deployment: a GitOps pipeline must not apply half
        }

        output.Write(YamlText.WriteDocuments(deployments.SelectMany(d => DesiredState.Build(d).All).Select(ChildJson.ToNode)));
        return 0;
    }

    /// <summary>
    /// The DeepSeekDeployments of a YAML or JSON file, with the namespace defaulted as kubectl would. Documents of
    /// other kinds (the Secret a sample ships with) are skipped; a file without any DeepSeekDeployment is an error.
    /// </summary>
    public static IReadOnlyList<DeepSeekDeployment> Read(string text)
    {
        var deployments = new List<DeepSeekDeployment>();
        foreach (var document in YamlText.ReadDocuments(text))
        {
            if (document is not JsonObject fields)
            {
                throw new FormatException("every document must be a mapping (an object)");
            }

            string? kind = StringField(fields, "kind");
            string? apiVersion = StringField(fields, "apiVersion");
            if (kind != DeepSeekDeployment.KindName)
            {
                continue;
            }

            if (apiVersion != DeepSeekDeployment.ApiVersionValue)
            {
                throw new FormatException($"{kind}: expected apiVersion {DeepSeekDeployment.ApiVersionValue}, got {apiVersion ?? "none"}");
            }

            var deployment = document.Deserialize(OperatorJsonContext.Default.DeepSeekDeployment)
                ?? throw new FormatException("a DeepSeekDeployment document is empty");
            if (string.IsNullOrEmpty(deployment.Metadata.Name))
            {
                throw new FormatException("metadata.name is required");
            }

            deployment.Metadata.Namespace ??= "default";
            deployments.Add(deployment);
        }

        return deployments.Count > 0 ? deployments : throw new FormatException($"no {DeepSeekDeployment.ApiVersionValue} {DeepSeekDeployment.KindName} document found");
    }

    private static string? StringField(JsonObject fields, string name) =>
        fields[name] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
