using System.Text.Json;

namespace DeepSeekV3.Inference.Tests.Golden;

/// <summary>
/// One directory of ../shared/golden: a tiny checkpoint and the reference's expected.json, parsed as float32
/// (the file writes float32 values as their shortest round-trip decimals).
/// </summary>
public sealed class GoldenCase
{
    private GoldenCase(string directory, JsonDocument expected)
    {
        Directory = directory;
        Expected = expected.RootElement;
    }

    public string Directory { get; }

    public JsonElement Expected { get; }

    public static string Root
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable("DSV3_GOLDEN_DIR");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }

            // The repository sits beside shared/: walk up from the test binaries to the solution, then across.
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DeepSeekV3.Cluster.sln")))
            {
                directory = directory.Parent;
            }

            return directory is null
                ? throw new DirectoryNotFoundException("DeepSeekV3.Cluster.sln not found above " + AppContext.BaseDirectory)
                : Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "golden"));
        }
    }

    public static GoldenCase Load(string name)
    {
        string directory = Path.Combine(Root, name);
        return new GoldenCase(directory, JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "expected.json"))));
    }

    public static float[] Floats(JsonElement array)
    {
        var values = new List<float>();
        Flatten(array, values);
        return [.. values];
    }

    public static int[] Ints(JsonElement array)
    {
        var values = new List<int>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                values.AddRange(Ints(item));
            }
            else
            {
                values.Add(item.GetInt32());
            }
        }

        return [.. values];
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            float difference = MathF.Abs(actual[i] - expected[i]);
            max = float.IsNaN(difference) ? float.PositiveInfinity : MathF.Max(max, difference);
        }

        return max;
    }

    private static void Flatten(JsonElement element, List<float> values)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Flatten(item, values);
            }
        }
        else
        {
            values.Add(element.GetSingle());
        }
    }
}
