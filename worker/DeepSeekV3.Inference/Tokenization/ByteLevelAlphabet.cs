namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet (<c>bytes_to_unicode</c>, which Hugging Face's ByteLevel pre-tokenizer and decoder
/// use): every byte maps to one printable character, so BPE runs on strings and no byte is ever unknown. The 188
/// printable Latin-1 bytes map to themselves; the other 68 to U+0100 upwards, in byte order.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte = Enumerable.Range(0, 256).ToDictionary(b => s_byteToChar[b], b => (byte)b);

    public static char ToChar(byte value) => s_byteToChar[value];

    public static bool TryToByte(char symbol, out byte value) => s_charToByte.TryGetValue(symbol, out value);

    /// <summary>The byte-level string of <paramref name="bytes"/>: one character per byte.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                chars[i] = s_byteToChar[source[i]];
            }
        });
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }
}
