namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The tokens of one forward step, flattened over sequences: token t of the step has an id, an absolute
/// position, and the block table of its sequence. A prefill chunk contributes several consecutive positions of
/// one sequence, a decode step one. Token t attends to cached positions 0..Positions[t] of its own sequence:
/// the causal mask offset by start_pos that chunked prefill needs.
/// Reused across steps (<see cref="Clear"/>), so a steady-state step allocates nothing.
/// </summary>
public sealed class ForwardBatch
{
    private int[] _tokens = new int[16];
    private int[] _positions = new int[16];
    private KvBlockTable[] _tables = new KvBlockTable[16];
    private readonly List<int> _logitRows = [];

    public ForwardBatch(KvCache cache)
    {
        Cache = cache;
    }

    public KvCache Cache { get; }

    public int Count { get; private set; }

    /// <summary>[Count] token ids.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Count);

    /// <summary>[Count] absolute positions.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Count);

    /// <summary>[Count] the block table of each token's sequence.</summary>
    public ReadOnlySpan<KvBlockTable> Tables => _tables.AsSpan(0, Count);

    /// <summary>Indices of the tokens whose logits the step returns, in order.</summary>
    public IReadOnlyList<int> LogitRows => _logitRows;

    public int MaxPosition { get; private set; }

    public void Clear()
    {
        Array.Clear(_tables, 0, Count);
        Count = 0;
        MaxPosition = 0;
        _logitRows.Clear();
    }

    /// <summary>
    /// Adds <paramref name="tokens"/> of one sequence at positions startPosition..; the table must already hold
    /// blocks for them (whoever owns the blocks allocates them).
    /// </summary>
    public void AddSequence(KvBlockTable table, ReadOnlySpan<int> tokens, int startPosition, bool wantLogits)
    {
        ArgumentOutOfRangeException.ThrowIfZero(tokens.Length);
        if (table.Count * Cache.BlockSizeTokens < startPosition + tokens.Length)
        {
            throw new InvalidOperationException(
                $"the block table holds {table.Count * Cache.BlockSizeTokens} positions; the step needs {startPosition + tokens.Length}");
        }

        Grow(Count + tokens.Length);
        for (int i = 0; i < tokens.Length; i++)
        {
            _tokens[Count] = tokens[i];
            _positions[Count] = startPosition + i;
            _tables[Count] = table;
            Count++;
        }

        MaxPosition = Math.Max(MaxPosition, startPosition + tokens.Length - 1);
        if (wantLogits)
        {
            _logitRows.Add(Count - 1);
        }
    }

    private void Grow(int needed)
    {
        if (needed <= _tokens.Length)
        {
            return;
        }

        int size = Math.Max(needed, _tokens.Length * 2);
        Array.Resize(ref _tokens, size);
        Array.Resize(ref _positions, size);
        Array.Resize(ref _tables, size);
    }
}
