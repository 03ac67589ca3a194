using System.Globalization;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// <c>--name value</c> options (repeatable) and <c>--flag</c> switches of one command. Every option must be
/// declared by the command that reads it: <see cref="RejectUnknown"/> names anything left over.
/// </summary>
public sealed class CommandLineArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandLineArguments(IReadOnlyList<string> arguments, IReadOnlySet<string> flagNames)
    {
        for (int i = 0; i < arguments.Count; i++)
        {
            string argument = arguments[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new UsageException($"unexpected argument '{argument}'");
            }

            string name = argument[2..];
            if (flagNames.Contains(name))
            {
                _flags.Add(name);
                continue;
            }

            if (i + 1 >= arguments.Count)
            {
                throw new UsageException($"--{name} needs a value");
            }

            if (!_values.TryGetValue(name, out var list))
            {
                _values[name] = list = [];
            }

            list.Add(arguments[++i]);
        }
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _flags.Contains(name);
    }

    public string? Optional(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var list))
        {
            return null;
        }

        return list.Count == 1 ? list[0] : throw new UsageException($"--{name} may be given only once");
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"--{name} is required");

    public IReadOnlyList<string> All(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var list) ? list : [];
    }

    public int Number(string name, int fallback, int min, int max)
    {
        string? text = Optional(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be an integer in [{min}, {max}], not '{text}'");
        }

        return value;
    }

    /// <summary><c>--weight-memory huge-pages|mapped</c> (default huge-pages): where the model's weights live, see <see cref="Inference.Checkpoints.WeightMemory"/>.</summary>
    public Inference.Checkpoints.WeightMemory WeightMemory() => Optional("weight-memory") switch
    {
        null or "huge-pages" => Inference.Checkpoints.WeightMemory.HugePages,
        "mapped" => Inference.Checkpoints.WeightMemory.Mapped,
        string other => throw new UsageException($"--weight-memory must be 'huge-pages' or 'mapped', not '{other}'"),
    };

    public void RejectUnknown()
    {
        foreach (string name in _values.Keys.Concat(_flags))
        {
            if (!_read.Contains(name))
            {
                throw new UsageException($"unknown option --{name}");
            }
        }
    }

    /// <summary>Parses "1,2,3" into token ids.</summary>
    public static int[] ParseIds(string name, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new UsageException($"--{name} must be comma-separated non-negative token ids, not '{text}'");
            }
        }

        return ids;
    }
}
