using System.Text.Json;

namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// Writes a complete tokenizer for a demo checkpoint in the real Hugging Face format (tokenizer.json and
/// tokenizer_config.json): DeepSeek-V3's pre-tokenizer and special tokens, a byte-level BPE trained on
/// <see cref="TrainingCorpus"/>, never larger than the model's vocabulary.
/// Ids: 0 begin-of-sentence, 1 end-of-sentence, 2 pad (the demo config's bos/eos ids), then the 256 byte symbols,
/// then the merges, then the User and Assistant turn markers.
/// </summary>
public static class TokenizerFiles
{
    private static readonly string[] s_leadingSpecials = [DeepSeekChatFormat.BeginOfSentence, DeepSeekChatFormat.EndOfSentence, DeepSeekChatFormat.Pad];
    private static readonly string[] s_trailingSpecials = [DeepSeekChatFormat.User, DeepSeekChatFormat.Assistant];

    public static void Write(string directory, int vocabSize)
    {
        int fixedTokens = s_leadingSpecials.Length + 256 + s_trailingSpecials.Length;
        if (vocabSize < fixedTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"a byte-level tokenizer needs at least {fixedTokens} ids");
        }

        var preTokenizer = new PreTokenizer(PreTokenizer.DeepSeekV3Patterns);
        var merges = BpeTrainer.Train(TrainingCorpus.Text, preTokenizer, vocabSize - fixedTokens);
        var vocab = new List<string>(s_leadingSpecials);
        vocab.AddRange(Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()));
        vocab.AddRange(merges.Select(m => m.Left + m.Right));
        int firstTrailing = vocab.Count;
        vocab.AddRange(s_trailingSpecials);
        WriteTokenizerJson(Path.Combine(directory, TokenizerJsonReader.TokenizerFile), vocab, merges, firstTrailing);
        WriteConfig(Path.Combine(directory, TokenizerJsonReader.ConfigFile));
    }

    private static void WriteTokenizerJson(string path, List<string> vocab, List<(string Left, string Right)> merges, int firstTrailing)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        for (int id = 0; id < vocab.Count; id++)
        {
            if (id < s_leadingSpecials.Length || id >= firstTrailing)
            {
                json.WriteStartObject();
                json.WriteNumber("id", id);
                json.WriteString("content", vocab[id]);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
        }

        json.WriteEndArray();
        json.WriteStartObject("normalizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("normalizers");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        foreach (string pattern in PreTokenizer.DeepSeekV3Patterns)
        {
            json.WriteStartObject();
            json.WriteString("type", "Split");
            json.WriteStartObject("pattern");
            json.WriteString("Regex", pattern);
            json.WriteEndObject();
            json.WriteString("behavior", "Isolated");
            json.WriteBoolean("invert", false);
            json.WriteEndObject();
        }

        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", false);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("post_processor");
        json.WriteStartObject("decoder");
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", true);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteStartObject("vocab");
        for (int id = 0; id < vocab.Count; id++)
        {
            json.WriteNumber(vocab[id], id);
        }

        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var (left, right) in merges)
        {
            json.WriteStringValue($"{left} {right}");
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteConfig(string path)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteBoolean("add_bos_token", true);
        json.WriteBoolean("add_eos_token", false);
        WriteToken(json, "bos_token", DeepSeekChatFormat.BeginOfSentence);
        WriteToken(json, "eos_token", DeepSeekChatFormat.EndOfSentence);
        WriteToken(json, "pad_token", DeepSeekChatFormat.EndOfSentence);
        json.WriteBoolean("clean_up_tokenization_spaces", false);
        json.WriteBoolean("legacy", true);
        json.WriteNumber("model_max_length", 131072);
        json.WriteNull("sp_model_kwargs");
        json.WriteNull("unk_token");
        json.WriteString("tokenizer_class", "LlamaTokenizerFast");
        // The same format DeepSeekChatFormat implements, for tools that render the Jinja template themselves.
        json.WriteString("chat_template",
            "{% set ns = namespace(system='') %}{% for m in messages %}{% if m['role'] == 'system' %}{% set ns.system = ns.system + ('\n\n' if ns.system else '') + m['content'] %}{% endif %}{% endfor %}"
            + "{{ bos_token }}{{ ns.system }}{% for m in messages %}{% if m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}"
            + "{% elif m['role'] == 'assistant' %}{{ '<｜Assistant｜>' + m['content'] + eos_token }}{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<｜Assistant｜>' }}{% endif %}");
        json.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter json, string name, string content)
    {
        json.WriteStartObject(name);
        json.WriteString("__type", "AddedToken");
        json.WriteString("content", content);
        json.WriteBoolean("lstrip", false);
        json.WriteBoolean("normalized", true);
        json.WriteBoolean("rstrip", false);
        json.WriteBoolean("single_word", false);
        json.WriteEndObject();
    }
}
