using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Tokenization;

namespace DeepSeekV3.Inference.Tests.Tokenization;

/// <summary>Reading hand-made tokenizer.json files whose encodings are derived by hand.</summary>
public sealed class TokenizerJsonTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A vocabulary of the 256 byte symbols plus the given merges, ids in that order.</summary>
    private Tokenizer Write(string[] merges, string preTokenizer, string? normalizer = null)
    {
        var symbols = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString())
            .Concat(merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal))).ToList();
        string vocab = "{" + string.Join(",", symbols.Select((s, id) => $"{System.Text.Json.JsonSerializer.Serialize(s, TokenizerJsonTestContext.Default.String)}: {id}")) + "}";
        string mergeList = string.Join(",", merges.Select(m => System.Text.Json.JsonSerializer.Serialize(m, TokenizerJsonTestContext.Default.String)));
        File.WriteAllText(_directory.File("tokenizer.json"), $$"""
            {"added_tokens": [{"id": 300, "content": "<｜begin▁of▁sentence｜>", "special": true},
                              {"id": 301, "content": "<｜end▁of▁sentence｜>", "special": true}],
             "normalizer": {{normalizer ?? "null"}},
             "pre_tokenizer": {{preTokenizer}},
             "model": {"type": "BPE", "vocab": {{vocab}}, "merges": [{{mergeList}}] } }
            """);
        return Tokenizer.Load(_directory.Path);
    }

    private const string Isolated = """
        {"type": "Sequence", "pretokenizers": [
          {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated", "invert": false},
          {"type": "Split", "pattern": {"Regex": " ?\\p{L}+"}, "behavior": "Isolated", "invert": false},
          {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]}
        """;

    [Fact]
    public void Encode_MergesAppliedByRank()
    {
        // Ranks: "a b" (0) before "b c" (1): "abc" → "ab" + "c", not "a" + "bc".
        var tokenizer = Write(["a b", "b c", "ab c"], Isolated);

        Assert.Equal([258], tokenizer.Encode("abc"));
        Assert.Equal([256, 'd'], tokenizer.Encode("abd"));
    }

    [Fact]
    public void Encode_SplitIsolated_CutsDigitRunsOfThreeAndWords()
    {
        // Byte-level 'Ġ' is the space byte (0x20).
        var tokenizer = Write(["1 2", "12 3", "Ġ c", "Ġc d"], Isolated);

        var ids = tokenizer.Encode("ab 12340 cd");

        // Pieces: "ab", " " + ... per HF: "ab", " ", "123", "40", " cd" (digits first, then letters with an optional space).
        Assert.Equal(["a", "b", " ", "123", "4", "0", " cd"], ids.Select(id => tokenizer.Decode([id])));
    }

    [Fact]
    public void Load_UnsupportedNormalizer_IsRejectedNamingIt()
    {
        var error = Assert.Throws<CheckpointException>(() => Write([], Isolated, """{"type": "NFKC"}"""));

        Assert.Contains("tokenizer.json: field 'normalizer' 'NFKC' is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadJsonOrMissingFile_NamesTheFile()
    {
        Assert.Contains("tokenizer.json: file not found",
            Assert.Throws<CheckpointException>(() => Tokenizer.Load(_directory.Path)).Message, StringComparison.Ordinal);
        File.WriteAllText(_directory.File("tokenizer.json"), "{\"model\": ");
        Assert.Contains("tokenizer.json: not valid JSON",
            Assert.Throws<CheckpointException>(() => Tokenizer.Load(_directory.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_VocabularyMissingByteSymbols_IsRejected()
    {
        File.WriteAllText(_directory.File("tokenizer.json"), """
            {"added_tokens": [{"id": 0, "content": "<｜begin▁of▁sentence｜>", "special": true}, {"id": 1, "content": "<｜end▁of▁sentence｜>", "special": true}],
             "model": {"type": "BPE", "vocab": {"a": 2}, "merges": []}}
            """);
        var tokenizer = Tokenizer.Load(_directory.Path);

        Assert.Throws<InvalidOperationException>(() => tokenizer.Encode("b"));
    }
}
