using System.Text;
using DeepSeekV3.Inference.Tokenization;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// A sequence's generated text as it grows: token ids become complete UTF-8 text (a character split across tokens
/// waits for its last byte), and text that could still turn out to begin a stop string is held back. OpenAI
/// semantics: the stop string itself is never returned.
/// </summary>
public sealed class GeneratedText
{
    private readonly TokenStreamDecoder _decoder;
    private readonly IReadOnlyList<string> _stops;
    private readonly int _holdBack;
    private readonly StringBuilder _pending = new();

    public GeneratedText(Tokenizer tokenizer, IReadOnlyList<string> stops)
    {
        _decoder = tokenizer.CreateStreamDecoder();
        _stops = stops;
        _holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
    }

    /// <summary>The text that is final after <paramref name="token"/>; <paramref name="stopped"/> when a stop string completed.</summary>
    public string Push(int token, out bool stopped)
    {
        _pending.Append(_decoder.Push(token));
        stopped = false;
        if (_stops.Count > 0)
        {
            string pending = _pending.ToString();
            int earliest = -1;
            foreach (string stop in _stops)
            {
                int at = pending.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0 && (earliest < 0 || at < earliest))
                {
                    earliest = at;
                }
            }

            if (earliest >= 0)
            {
                stopped = true;
                _pending.Clear();
                return pending[..earliest];
            }
        }

        int release = _pending.Length - _holdBack;
        if (release <= 0)
        {
            return "";
        }

        string text = _pending.ToString(0, release);
        _pending.Remove(0, release);
        return text;
    }

    /// <summary>Everything still held back, when the sequence ends for another reason than a stop string.</summary>
    public string Flush()
    {
        _pending.Append(_decoder.Flush());
        string text = _pending.ToString();
        _pending.Clear();
        return text;
    }
}
