using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// Hugging Face's <c>Sequence</c> of <c>Split</c> pre-tokenizers with behavior <c>Isolated</c>: each pattern cuts
/// every piece so far into its matches and the gaps between them, each its own piece. The byte-level mapping that
/// follows is done by the tokenizer.
/// Hugging Face matches code points (Oniguruma on UTF-8); .NET regexes match UTF-16 units, where a character beyond
/// U+FFFF is two surrogates of category Cs. So matching runs on a view of the text in which each such character is
/// one stand-in BMP character of the same Unicode category (non-ASCII, outside the CJK ranges), and pieces are cut
/// from the original text by the mapped positions: categories match as in Hugging Face and no pair is ever split.
/// </summary>
public sealed class PreTokenizer
{
    /// <summary>DeepSeek-V3's tokenizer.json patterns, in order: digits in runs of up to three, CJK runs, then words.</summary>
    public static readonly string[] DeepSeekV3Patterns =
    [
        @"\p{N}{1,3}",
        "[一-龥぀-ゟ゠-ヿ]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ];

    /// <summary>GPT-2's pattern, used by a plain ByteLevel pre-tokenizer with use_regex: true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly char[] s_standIns = BuildStandIns();

    private readonly Regex[] _patterns;

    public PreTokenizer(IEnumerable<string> patterns)
    {
        _patterns = [.. patterns.Select(p => new Regex(p, RegexOptions.CultureInvariant))];
    }

    public IReadOnlyList<string> Split(string text)
    {
        var (view, starts) = CodePointView(text);
        List<(int Start, int End)> pieces = [(0, view.Length)];
        foreach (var pattern in _patterns)
        {
            var next = new List<(int, int)>(pieces.Count * 2);
            foreach (var (start, end) in pieces)
            {
                int at = start;
                for (var match = pattern.Match(view, start, end - start); match.Success; match = match.NextMatch())
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }

                    if (match.Index > at)
                    {
                        next.Add((at, match.Index));
                    }

                    next.Add((match.Index, match.Index + match.Length));
                    at = match.Index + match.Length;
                }

                if (at < end)
                {
                    next.Add((at, end));
                }
            }

            pieces = next;
        }

        return [.. pieces.Select(p => text[starts(p.Start)..starts(p.End)])];
    }

    /// <summary>The text with each astral character replaced by one stand-in, and view index → text index.</summary>
    private static (string View, Func<int, int> Starts) CodePointView(string text)
    {
        if (!text.Any(char.IsSurrogate))
        {
            return (text, index => index);
        }

        var view = new System.Text.StringBuilder(text.Length);
        var starts = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length; i++)
        {
            starts.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                view.Append(s_standIns[(int)CharUnicodeInfo.GetUnicodeCategory(text, i)]);
                i++;
            }
            else
            {
                view.Append(text[i]);
            }
        }

        starts.Add(text.Length);
        return (view.ToString(), index => starts[index]);
    }

    /// <summary>For each Unicode category, the first non-ASCII BMP character of it outside the CJK pattern ranges.</summary>
    private static char[] BuildStandIns()
    {
        var standIns = new char[32];
        for (int c = 0xFFFF; c >= 0x80; c--)
        {
            char ch = (char)c;
            bool cjk = ch is (>= '一' and <= '龥') or (>= '぀' and <= 'ヿ');
            if (!char.IsSurrogate(ch) && !cjk)
            {
                standIns[(int)CharUnicodeInfo.GetUnicodeCategory(ch)] = ch;
            }
        }

        return standIns;
    }
}
