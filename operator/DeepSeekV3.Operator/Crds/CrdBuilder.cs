using System.Reflection;
using System.Text.Json.Nodes;
using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Crds;

/// <summary>
/// The apiextensions.k8s.io/v1 CustomResourceDefinition of an entity type: names and scope from
/// [KubernetesEntity], the openAPIV3Schema from <see cref="OpenApiSchemaBuilder"/>, the status and scale
/// subresources, and the printer columns. One served + storage version.
/// </summary>
public static class CrdBuilder
{
    public static JsonObject Build(Type entityType)
    {
        var entity = entityType.GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new ArgumentException($"{entityType.Name} has no [KubernetesEntity]", nameof(entityType));
        var version = new JsonObject
        {
            ["name"] = entity.Version,
            ["served"] = true,
            ["storage"] = true,
            ["schema"] = new JsonObject { ["openAPIV3Schema"] = OpenApiSchemaBuilder.For(entityType) },
        };
        var subresources = new JsonObject();
        if (entity.StatusSubresource)
        {
            subresources["status"] = new JsonObject();
        }

        if (entityType.GetCustomAttribute<ScaleSubresourceAttribute>() is { } scale)
        {
            subresources["scale"] = new JsonObject
            {
                ["specReplicasPath"] = scale.SpecReplicasPath,
                ["statusReplicasPath"] = scale.StatusReplicasPath,
                ["labelSelectorPath"] = scale.LabelSelectorPath,
            };
        }

        if (subresources.Count > 0)
        {
            version["subresources"] = subresources;
        }

        var columns = entityType.GetCustomAttributes<PrinterColumnAttribute>().ToList();
        if (columns.Count > 0)
        {
            version["additionalPrinterColumns"] = new JsonArray([.. columns.Select(Column)]);
        }

        var names = new JsonObject
        {
            ["kind"] = entity.Kind,
            ["listKind"] = entity.Kind + "List",
            ["plural"] = entity.Plural,
            ["singular"] = entity.Kind.ToLowerInvariant(),
        };
        if (entity.ShortNames.Length > 0)
        {
            names["shortNames"] = new JsonArray([.. entity.ShortNames.Select(n => (JsonNode)JsonValue.Create(n))]);
        }

        if (entity.Categories.Length > 0)
        {
            names["categories"] = new JsonArray([.. entity.Categories.Select(n => (JsonNode)JsonValue.Create(n))]);
        }

        return new JsonObject
        {
            ["apiVersion"] = "apiextensions.k8s.io/v1",
            ["kind"] = "CustomResourceDefinition",
            ["metadata"] = new JsonObject { ["name"] = $"{entity.Plural}.{entity.Group}" },
            ["spec"] = new JsonObject
            {
                ["group"] = entity.Group,
                ["names"] = names,
                ["scope"] = entity.Namespaced ? "Namespaced" : "Cluster",
                ["versions"] = new JsonArray(version),
            },
        };
    }

    /// <summary>The file name kubebuilder would use: {group}_{plural}.yaml.</summary>
    public static string FileName(Type entityType)
    {
        var entity = entityType.GetCustomAttribute<KubernetesEntityAttribute>()!;
        return $"{entity.Group}_{entity.Plural}.yaml";
    }

    private static JsonNode Column(PrinterColumnAttribute column)
    {
        var node = new JsonObject { ["name"] = column.Name, ["type"] = column.Type, ["jsonPath"] = column.JsonPath };
        if (column.Description is not null)
        {
            node["description"] = column.Description;
        }

        if (column.Priority != 0)
        {
            node["priority"] = column.Priority;
        }

        return node;
    }
}
