using System.Text;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Tokenization;

namespace DeepSeekV3.Inference.Tests.Tokenization;

/// <summary>The demo tokenizer written by <see cref="TokenizerFiles"/>, loaded back through the tokenizer.json reader.</summary>
public sealed class TokenizerTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Tokenizer _tokenizer;

    public TokenizerTests()
    {
        TokenizerFiles.Write(_directory.Path, 1000);
        _tokenizer = Tokenizer.Load(_directory.Path);
    }

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string> Texts => new()
    {
        "Hello, world!",
        "  leading and trailing spaces  ",
        "line one\nline two\r\n\ttabbed",
        "深度求索发布了新的大语言模型。",
        "こんにちは、世界",
        "Emoji 👋🏽 family 👨‍👩‍👧 flag 🇯🇵 heart ❤️",
        "combining: e\u0301 a\u0308 n\u0303",
        "numbers 1234567 3.14159 -42",
        "code: for (int i = 0; i < n; i++) { sum += x[i]; }",
        "mixed English 和中文 and 日本語 together",
        "",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void EncodeDecode_AnyUtf8_RoundTrips(string text)
    {
        var ids = _tokenizer.Encode(text);

        Assert.Equal(text, _tokenizer.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 0, _tokenizer.VocabularySize - 1));
    }

    [Fact]
    public void EncodeDecode_RandomUnicode_RoundTrips()
    {
        var random = new DeterministicRandom(5);
        for (int sample = 0; sample < 200; sample++)
        {
            var text = new StringBuilder();
            int length = (int)(random.NextUInt64() % 40);
            for (int i = 0; i < length; i++)
            {
                int codePoint = (int)(random.NextUInt64() % 0x2FFFF);
                if (codePoint is >= 0xD800 and <= 0xDFFF)
                {
                    continue; // surrogates are not characters
                }

                text.Append(char.ConvertFromUtf32(codePoint));
            }

            Assert.Equal(text.ToString(), _tokenizer.Decode(_tokenizer.Encode(text.ToString())));
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void StreamDecoder_IdsOneByOne_EmitsExactlyTheTextAndNeverHalfACharacter(string text)
    {
        var decoder = _tokenizer.CreateStreamDecoder();
        var output = new StringBuilder();
        foreach (int id in _tokenizer.Encode(text))
        {
            string piece = decoder.Push(id);
            Assert.DoesNotContain('\uFFFD', piece);
            Assert.False(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "a piece ends inside a surrogate pair");
            output.Append(piece);
        }

        output.Append(decoder.Flush());
        Assert.Equal(text, output.ToString());
    }

    [Fact]
    public void StreamDecoder_CharacterSplitAcrossTokens_WaitsForItsLastByte()
    {
        // 😀 is four UTF-8 bytes; the demo vocabulary has no merge for them, so they arrive as four byte tokens.
        var ids = _tokenizer.Encode("😀");
        var decoder = _tokenizer.CreateStreamDecoder();

        var pieces = ids.Select(decoder.Push).ToArray();

        Assert.True(ids.Length > 1);
        Assert.All(pieces[..^1], piece => Assert.Equal("", piece));
        Assert.Equal("😀", pieces[^1]);
    }

    [Fact]
    public void Encode_SpecialTokensInText_AreSingleIds()
    {
        var ids = _tokenizer.Encode("<｜begin▁of▁sentence｜>hi<｜User｜>");

        Assert.Equal(0, ids[0]);
        Assert.Equal(_tokenizer.Encode("<｜User｜>").Single(), ids[^1]);
        Assert.True(_tokenizer.IsSpecial(ids[0]));
        Assert.Equal("hi", _tokenizer.Decode(ids));
        Assert.Equal("<｜begin▁of▁sentence｜>hi<｜User｜>", _tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void EncodeChat_DeepSeekV3Format_ExactString()
    {
        ChatMessage[] messages =
        [
            new("system", "Be brief."),
            new("system", "Be kind."),
            new("user", "Hi"),
            new("assistant", "Hello!"),
            new("user", "How are you?"),
        ];

        var ids = _tokenizer.EncodeChat(messages);

        Assert.Equal(
            "<｜begin▁of▁sentence｜>Be brief.\n\nBe kind.<｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜><｜User｜>How are you?<｜Assistant｜>",
            _tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(_tokenizer.BosTokenId, ids[0]);
        Assert.Throws<ArgumentException>(() => _tokenizer.EncodeChat([new("tool", "x")]));
    }

    [Fact]
    public void Write_SameVocabulary_IsDeterministicAndFits()
    {
        using var other = new TempDirectory();
        TokenizerFiles.Write(other.Path, 1000);

        Assert.Equal(File.ReadAllBytes(_directory.File("tokenizer.json")), File.ReadAllBytes(other.File("tokenizer.json")));
        Assert.InRange(_tokenizer.VocabularySize, 300, 1000);
        Assert.Equal(0, _tokenizer.BosTokenId);
        Assert.Equal(1, _tokenizer.EosTokenId);
    }

    [Fact]
    public void Decode_IdBeyondTheTokenizerButInsideTheModel_IsEmptyText()
    {
        // The model's embedding has 1000 rows; the trained tokenizer fewer: the model may still emit those ids.
        int unknown = _tokenizer.VocabularySize + 5;

        Assert.Equal("ab", _tokenizer.Decode([.. _tokenizer.Encode("a"), unknown, .. _tokenizer.Encode("b")]));
        Assert.Equal("", _tokenizer.CreateStreamDecoder().Push(unknown));
    }

    [Fact]
    public void Encode_CommonWords_AreMergedBelowByteCount()
    {
        string text = "the model and the experts";

        Assert.True(_tokenizer.Encode(text).Length < Encoding.UTF8.GetByteCount(text));
    }
}
