namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// Byte-pair encoding by merge rank (Hugging Face's <c>BPE</c> model): a word starts as one symbol per character and
/// the adjacent pair with the lowest rank is merged, everywhere in the word, until no pair has a rank. Words repeat,
/// so each word's ids are cached.
/// </summary>
public sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges)
    {
        _vocab = vocab;
        _ranks = [];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            _ranks.TryAdd(merges[rank], rank);
        }

        Tokens = vocab.ToDictionary(pair => pair.Value, pair => pair.Key);
    }

    /// <summary>id → token string (byte-level characters).</summary>
    public IReadOnlyDictionary<int, string> Tokens { get; }

    /// <summary>The ids of one pre-tokenized word given in byte-level characters.</summary>
    public int[] Encode(string word)
    {
        lock (_cacheLock)
        {
            if (_cache.TryGetValue(word, out var cached))
            {
                return cached;
            }
        }

        var symbols = word.Select(c => c.ToString()).ToList();
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue, bestAt = -1;
            for (int i = 0; i < symbols.Count - 1; i++)
            {
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    bestAt = i;
                }
            }

            if (bestAt < 0)
            {
                break;
            }

            string left = symbols[bestAt], right = symbols[bestAt + 1];
            for (int i = 0; i < symbols.Count - 1; i++)
            {
                if (symbols[i] == left && symbols[i + 1] == right)
                {
                    symbols[i] = left + right;
                    symbols.RemoveAt(i + 1);
                }
            }
        }

        var ids = symbols.Select(symbol => _vocab.TryGetValue(symbol, out int id)
            ? id
            : throw new InvalidOperationException($"the vocabulary has no token '{symbol}' (a byte-level vocabulary must hold all 256 bytes)")).ToArray();
        lock (_cacheLock)
        {
            if (_cache.Count < 100_000)
            {
                _cache[word] = ids;
            }
        }

        return ids;
    }
}
