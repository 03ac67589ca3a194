using System.Text;
using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// A Hugging Face byte-level BPE tokenizer (DeepSeek-V3's kind): added and special tokens are matched literally
/// first, the rest is pre-tokenized, mapped to the byte-level alphabet and BPE-encoded; decoding maps tokens back to
/// bytes and the bytes to UTF-8. Safe to use from several threads.
/// </summary>
public sealed class Tokenizer
{
    private readonly BpeModel _bpe;
    private readonly PreTokenizer _preTokenizer;
    private readonly AddedToken[] _addedLongestFirst;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly byte[][] _tokenBytes; // [VocabularySize] each token's bytes
    private readonly string _beginOfSentence;
    private readonly string _endOfSentence;

    public Tokenizer(BpeModel bpe, PreTokenizer preTokenizer, IReadOnlyList<AddedToken> addedTokens, int bosTokenId, int eosTokenId)
    {
        _bpe = bpe;
        _preTokenizer = preTokenizer;
        _addedLongestFirst = [.. addedTokens.OrderByDescending(t => t.Content.Length)];
        _addedById = addedTokens.ToDictionary(t => t.Id);
        VocabularySize = Math.Max(bpe.Tokens.Keys.DefaultIfEmpty(-1).Max(), addedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1;
        _tokenBytes = new byte[VocabularySize][];
        foreach (var (id, token) in bpe.Tokens.Where(pair => !_addedById.ContainsKey(pair.Key)))
        {
            _tokenBytes[id] = [.. token.Select(c => ByteLevelAlphabet.TryToByte(c, out byte b)
                ? b
                : throw new InvalidOperationException($"token {id} has the character U+{(int)c:X4}, which is outside the byte-level alphabet"))];
        }

        foreach (var added in addedTokens)
        {
            _tokenBytes[added.Id] = Encoding.UTF8.GetBytes(added.Content);
        }

        BosTokenId = bosTokenId;
        EosTokenId = eosTokenId;
        _beginOfSentence = Content(bosTokenId);
        _endOfSentence = Content(eosTokenId);
    }

    /// <summary>Highest id + 1.</summary>
    public int VocabularySize { get; }

    public int BosTokenId { get; }

    public int EosTokenId { get; }

    /// <summary>Reads tokenizer.json and tokenizer_config.json of a checkpoint directory.</summary>
    public static Tokenizer Load(string modelDirectory) => TokenizerJsonReader.Read(modelDirectory);

    /// <summary>The ids of <paramref name="text"/>; added tokens written in it become single ids. No BOS is added.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>();
        int at = 0;
        while (at < text.Length)
        {
            var (index, token) = NextAddedToken(text, at);
            EncodeOrdinary(text[at..index], ids);
            if (token is null)
            {
                break;
            }

            ids.Add(token.Id);
            at = index + token.Content.Length;
        }

        return [.. ids];
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            bytes.AddRange(TokenBytes(id, skipSpecialTokens));
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var token) && token.Special;

    public TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    /// <summary>DeepSeek-V3's chat format, tokenized: BOS, system text, the turns, and the assistant prompt.</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true) =>
        Encode(DeepSeekChatFormat.Format(messages, _beginOfSentence, _endOfSentence, addGenerationPrompt));

    /// <summary>
    /// The token's bytes. Models pad their embedding beyond the tokenizer (DeepSeek-V3: 129,280 rows for about
    /// 128,800 tokens), so a model can produce ids the tokenizer lacks: like Hugging Face, they decode to nothing.
    /// </summary>
    internal ReadOnlySpan<byte> TokenBytes(int id, bool skipSpecialTokens)
    {
        if ((uint)id >= (uint)_tokenBytes.Length || _tokenBytes[id] is null)
        {
            return [];
        }

        return skipSpecialTokens && IsSpecial(id) ? [] : _tokenBytes[id];
    }

    private string Content(int id) =>
        _addedById.TryGetValue(id, out var token) ? token.Content
        : _bpe.Tokens.ContainsKey(id) ? Encoding.UTF8.GetString(TokenBytes(id, false))
        : throw new CheckpointException($"tokenizer: token id {id} (bos/eos) does not exist");

    private void EncodeOrdinary(string text, List<int> ids)
    {
        if (text.Length == 0)
        {
            return;
        }

        foreach (string piece in _preTokenizer.Split(text))
        {
            ids.AddRange(_bpe.Encode(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece))));
        }
    }

    /// <summary>The leftmost added token at or after <paramref name="start"/>; the longest wins at one position.</summary>
    private (int Index, AddedToken? Token) NextAddedToken(string text, int start)
    {
        int bestIndex = text.Length;
        AddedToken? best = null;
        foreach (var token in _addedLongestFirst)
        {
            int index = text.IndexOf(token.Content, start, StringComparison.Ordinal);
            if (index >= 0 && index < bestIndex)
            {
                bestIndex = index;
                best = token;
            }
        }

        return (bestIndex, best);
    }
}
