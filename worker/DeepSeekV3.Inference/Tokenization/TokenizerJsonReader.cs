using System.Text.Json;
using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// Reads Hugging Face's <c>tokenizer.json</c> (a BPE model with a byte-level pre-tokenizer, as DeepSeek-V3 ships)
/// and <c>tokenizer_config.json</c> (bos/eos tokens). Anything this tokenizer cannot reproduce exactly — another model
/// type, a normalizer, byte fallback — is refused with the file and field named, never approximated.
/// </summary>
internal static class TokenizerJsonReader
{
    public const string TokenizerFile = "tokenizer.json";
    public const string ConfigFile = "tokenizer_config.json";

    public static Tokenizer Read(string directory)
    {
        string path = Path.Combine(directory, TokenizerFile);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{TokenizerFile}: not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            var model = Property(root, "model", JsonValueKind.Object);
            string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
            if (type != "BPE")
            {
                throw Error("model.type", $"is '{type}'; only byte-level BPE is supported");
            }

            if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
            {
                throw Error("model.byte_fallback", "is true; byte fallback is not supported (byte-level BPE needs none)");
            }

            RequireNoNormalizer(root);
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in Property(model, "vocab", JsonValueKind.Object).EnumerateObject())
            {
                vocab[entry.Name] = entry.Value.TryGetInt32(out int id) && id >= 0 ? id : throw Error("model.vocab", $"'{entry.Name}' has no valid id");
            }

            var merges = Property(model, "merges", JsonValueKind.Array).EnumerateArray().Select(ReadMerge).ToArray();
            var added = root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array
                ? addedTokens.EnumerateArray().Select(a => new AddedToken(
                    Property(a, "id", JsonValueKind.Number).GetInt32(),
                    Property(a, "content", JsonValueKind.String).GetString()!,
                    a.TryGetProperty("special", out var special) && special.ValueKind == JsonValueKind.True)).ToArray()
                : [];
            var preTokenizer = new PreTokenizer(ReadPatterns(root));
            var (bos, eos) = ReadSpecialIds(directory, vocab, added);
            try
            {
                return new Tokenizer(new BpeModel(vocab, merges), preTokenizer, added, bos, eos);
            }
            catch (InvalidOperationException e)
            {
                throw new CheckpointException($"{TokenizerFile}: {e.Message}", e);
            }
        }
    }

    private static (string, string) ReadMerge(JsonElement merge)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var parts = merge.GetString()!.Split(' ');
            return parts.Length == 2 ? (parts[0], parts[1]) : throw Error("model.merges", $"'{merge.GetString()}' is not two symbols");
        }

        return merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            ? (merge[0].GetString()!, merge[1].GetString()!)
            : throw Error("model.merges", "entries must be \"a b\" strings or [a, b] pairs");
    }

    private static List<string> ReadPatterns(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var steps = PreTokenizerType(pre) == "Sequence" ? Property(pre, "pretokenizers", JsonValueKind.Array).EnumerateArray().ToArray() : [pre];
        var patterns = new List<string>();
        for (int i = 0; i < steps.Length; i++)
        {
            var step = steps[i];
            switch (PreTokenizerType(step))
            {
                case "Split":
                    string behavior = step.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "";
                    if (behavior != "Isolated" || (step.TryGetProperty("invert", out var invert) && invert.ValueKind == JsonValueKind.True))
                    {
                        throw Error("pre_tokenizer", $"Split behavior '{behavior}' (or invert) is not supported; DeepSeek-V3 uses Isolated");
                    }

                    var pattern = Property(step, "pattern", JsonValueKind.Object);
                    patterns.Add(pattern.TryGetProperty("Regex", out var regex) ? regex.GetString()!
                        : pattern.TryGetProperty("String", out var literal) ? System.Text.RegularExpressions.Regex.Escape(literal.GetString()!)
                        : throw Error("pre_tokenizer", "Split pattern needs Regex or String"));
                    break;
                case "ByteLevel":
                    if (i != steps.Length - 1)
                    {
                        throw Error("pre_tokenizer", "ByteLevel must be the last pre-tokenizer");
                    }

                    // use_regex (default true) splits with GPT-2's pattern before the byte mapping.
                    if (!step.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind != JsonValueKind.False)
                    {
                        patterns.Add(PreTokenizer.Gpt2Pattern);
                    }

                    if (step.TryGetProperty("add_prefix_space", out var prefix) && prefix.ValueKind == JsonValueKind.True)
                    {
                        throw Error("pre_tokenizer", "ByteLevel add_prefix_space is not supported");
                    }

                    break;
                default:
                    throw Error("pre_tokenizer", $"type '{PreTokenizerType(step)}' is not supported");
            }
        }

        return patterns;
    }

    private static string PreTokenizerType(JsonElement element) =>
        element.TryGetProperty("type", out var type) ? type.GetString() ?? "" : "";

    private static void RequireNoNormalizer(JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        bool emptySequence = PreTokenizerType(normalizer) == "Sequence"
            && normalizer.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() == 0;
        if (!emptySequence)
        {
            throw Error("normalizer", $"'{PreTokenizerType(normalizer)}' is not supported; DeepSeek-V3 has none");
        }
    }

    private static (int Bos, int Eos) ReadSpecialIds(string directory, Dictionary<string, int> vocab, AddedToken[] added)
    {
        string bos = DeepSeekChatFormat.BeginOfSentence, eos = DeepSeekChatFormat.EndOfSentence;
        string path = Path.Combine(directory, ConfigFile);
        if (File.Exists(path))
        {
            try
            {
                using var config = JsonDocument.Parse(File.ReadAllBytes(path));
                bos = TokenContent(config.RootElement, "bos_token") ?? bos;
                eos = TokenContent(config.RootElement, "eos_token") ?? eos;
            }
            catch (JsonException e)
            {
                throw new CheckpointException($"{ConfigFile}: not valid JSON: {e.Message}", e);
            }
        }

        int Id(string content, string field) =>
            added.FirstOrDefault(a => a.Content == content)?.Id
            ?? (vocab.TryGetValue(content, out int id) ? id : throw new CheckpointException($"{ConfigFile}: {field} '{content}' is not a token of {TokenizerFile}"));
        return (Id(bos, "bos_token"), Id(eos, "eos_token"));
    }

    private static string? TokenContent(JsonElement config, string field) =>
        !config.TryGetProperty(field, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) ? content.GetString()
        : null;

    private static JsonElement Property(JsonElement element, string name, JsonValueKind kind) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == kind
            ? value
            : throw Error(name, $"is missing or not a {kind.ToString().ToLowerInvariant()}");

    private static CheckpointException Error(string field, string problem) => new($"{TokenizerFile}: field '{field}' {problem}");
}
