namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// Learns byte-level BPE merges from text, as Hugging Face's BpeTrainer does: pre-tokenize, count words, then
/// repeatedly merge the most frequent adjacent pair (ties broken by the pair's ordinal order, so the result is
/// deterministic) until the budget is spent or no pair occurs twice.
/// </summary>
internal static class BpeTrainer
{
    public static List<(string Left, string Right)> Train(string text, PreTokenizer preTokenizer, int maxMerges)
    {
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string piece in preTokenizer.Split(text))
        {
            string word = ByteLevelAlphabet.Encode(System.Text.Encoding.UTF8.GetBytes(piece));
            wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
        }

        var words = wordCounts.OrderBy(w => w.Key, StringComparer.Ordinal)
            .Select(w => (Symbols: w.Key.Select(c => c.ToString()).ToList(), Count: w.Value)).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            var pairCounts = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i < symbols.Count - 1; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + count;
                }
            }

            var best = pairCounts.Where(p => p.Value >= 2)
                .OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Item2, StringComparer.Ordinal)
                .Select(p => p.Key)
                .FirstOrDefault();
            if (best == default)
            {
                break;
            }

            merges.Add(best);
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i < symbols.Count - 1; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = best.Item1 + best.Item2;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        return merges;
    }
}
