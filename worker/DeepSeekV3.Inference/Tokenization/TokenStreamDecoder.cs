using System.Text;

namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// Turns token ids arriving one by one into text, emitting only complete characters: the bytes of a UTF-8 character
/// split across tokens wait (in the UTF-8 decoder's state) until its last byte arrives.
/// </summary>
public sealed class TokenStreamDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[64];

    internal TokenStreamDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>The text completed by <paramref name="id"/> (possibly empty).</summary>
    public string Push(int id) => Decode(_tokenizer.TokenBytes(id, _skipSpecialTokens), flush: false);

    /// <summary>Whatever bytes are still pending, as replacement characters if they never completed a character.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _utf8.GetCharCount(bytes, flush);
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        int count = _utf8.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, count);
    }
}
