using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// Owns every block id of the paged MLA cache for the serving engine, with reference counts and a prefix
/// (context) cache, after nano-vllm's block manager.
/// Invariants:
/// - a block is referenced by <c>RefCount</c> tables; at 0 it sits in the free list;
/// - a block has a hash only when all its tokens' KV rows are computed; the hash chains the previous block's hash
///   with this block's tokens, so equal hashes mean equal prefixes; a hit is confirmed by comparing tokens;
/// - the free list is LRU: unhashed blocks go to the front (nothing to lose), hashed ones to the back, and
///   allocation takes from the front, evicting the least recently used cached prefix last.
/// </summary>
public sealed class BlockManager
{
    private readonly int[] _refCount;
    private readonly ulong[] _hash;
    private readonly bool[] _hashed;
    private readonly int[][] _tokens; // [block][BlockSizeTokens] the tokens a hashed block holds, for confirmation
    private readonly Dictionary<ulong, int> _blockByHash = [];
    private readonly LinkedList<int> _free = new();
    private readonly LinkedListNode<int>[] _freeNodes;

    private readonly bool _prefixCaching;
    private ulong[] _hashSnapshot = [];
    private bool _hashesChanged;

    public BlockManager(KvCache cache, bool prefixCaching = true)
    {
        Cache = cache;
        _prefixCaching = prefixCaching;
        int blocks = cache.BlockCount;
        _refCount = new int[blocks];
        _hash = new ulong[blocks];
        _hashed = new bool[blocks];
        _tokens = new int[blocks][];
        _freeNodes = new LinkedListNode<int>[blocks];
        for (int b = 0; b < blocks; b++)
        {
            _tokens[b] = new int[cache.BlockSizeTokens];
            _freeNodes[b] = _free.AddLast(b);
        }
    }

    public KvCache Cache { get; }

    public int BlockSize => Cache.BlockSizeTokens;

    public int FreeBlockCount => _free.Count;

    public int TotalBlockCount => _refCount.Length;

    /// <summary>
    /// Hashes of the cached prefix blocks (at most <paramref name="max"/>): what this worker can serve from cache. Read
    /// after every engine step, so the array is rebuilt only when a prefix was cached or evicted since the last read.
    /// </summary>
    public ulong[] CachedPrefixHashes(int max)
    {
        if (_hashesChanged || _hashSnapshot.Length > max)
        {
            _hashSnapshot = [.. _blockByHash.Keys.Take(max)];
            _hashesChanged = false;
        }

        return _hashSnapshot;
    }

    /// <summary>Fraction of blocks referenced by running sequences (cached-but-free blocks count as free).</summary>
    public double Usage => 1.0 - (FreeBlockCount / (double)TotalBlockCount);

    /// <summary>
    /// Free-list blocks that admitting a sequence of <paramref name="tokens"/> would take: new blocks beyond the
    /// cached prefix, plus cached prefix blocks that are currently unreferenced (they leave the free list too).
    /// Compared with <see cref="FreeBlockCount"/> before anything changes.
    /// </summary>
    public int BlocksNeeded(ReadOnlySpan<int> tokens)
    {
        int cached = CountCachedBlocks(tokens);
        int reclaimed = 0;
        ulong hash = 0;
        for (int b = 0; b < cached; b++)
        {
            hash = PrefixHash.Chain(hash, tokens.Slice(b * BlockSize, BlockSize));
            reclaimed += _refCount[_blockByHash[hash]] == 0 ? 1 : 0;
        }

        return Cache.BlocksFor(tokens.Length) - cached + reclaimed;
    }

    /// <summary>
    /// Builds <paramref name="table"/> for <paramref name="tokens"/>: reuses cached full blocks of the longest matching
    /// prefix (never the block holding the last token, which must be recomputed for its logits), allocates the rest.
    /// Returns the number of tokens whose KV is already cached. The caller checked <see cref="BlocksNeeded"/>.
    /// </summary>
    public int Allocate(KvBlockTable table, ReadOnlySpan<int> tokens)
    {
        if (table.Count != 0)
        {
            throw new InvalidOperationException("the table already holds blocks");
        }

        int cachedBlocks = CountCachedBlocks(tokens);
        int total = Cache.BlocksFor(tokens.Length);
        if (BlocksNeeded(tokens) > FreeBlockCount)
        {
            throw new InvalidOperationException($"needs {BlocksNeeded(tokens)} free blocks, {FreeBlockCount} free");
        }

        ulong hash = 0;
        for (int b = 0; b < cachedBlocks; b++)
        {
            hash = PrefixHash.Chain(hash, tokens.Slice(b * BlockSize, BlockSize));
            int block = _blockByHash[hash];
            if (_refCount[block]++ == 0)
            {
                _free.Remove(_freeNodes[block]);
            }

            table.Append(block);
        }

        for (int b = cachedBlocks; b < total; b++)
        {
            table.Append(TakeFreeBlock());
        }

        return cachedBlocks * BlockSize;
    }

    /// <summary>Adds a block when a sequence of <paramref name="tokens"/> outgrows its table; false when none is free.</summary>
    public bool TryGrow(KvBlockTable table, int tokens)
    {
        while (table.Count < Cache.BlocksFor(tokens))
        {
            if (FreeBlockCount == 0)
            {
                return false;
            }

            table.Append(TakeFreeBlock());
        }

        return true;
    }

    /// <summary>
    /// Records the hashes of the sequence's full blocks whose KV is now computed (<paramref name="computedTokens"/>),
    /// so later requests can reuse them.
    /// </summary>
    public void CommitComputed(KvBlockTable table, ReadOnlySpan<int> tokens, int computedTokens)
    {
        if (!_prefixCaching)
        {
            return;
        }

        ulong hash = 0;
        int fullBlocks = Math.Min(computedTokens / BlockSize, table.Count);
        for (int b = 0; b < fullBlocks; b++)
        {
            var blockTokens = tokens.Slice(b * BlockSize, BlockSize);
            hash = PrefixHash.Chain(hash, blockTokens);
            int block = table[b];
            if (_hashed[block])
            {
                continue;
            }

            // Another sequence may have computed the same prefix into a different block meanwhile: keep the first.
            if (_blockByHash.ContainsKey(hash))
            {
                continue;
            }

            _hashed[block] = true;
            _hash[block] = hash;
            blockTokens.CopyTo(_tokens[block]);
            _blockByHash[hash] = block;
            _hashesChanged = true;
        }
    }

    /// <summary>Drops the table's references; hashed blocks stay cached until evicted.</summary>
    public void Free(KvBlockTable table)
    {
        // Release in reverse so a sequence's tail is evicted before its prefix, which more requests share.
        for (int i = table.Count - 1; i >= 0; i--)
        {
            int block = table[i];
            if (--_refCount[block] > 0)
            {
                continue;
            }

            if (_hashed[block])
            {
                _free.AddLast(_freeNodes[block]);
            }
            else
            {
                _free.AddFirst(_freeNodes[block]);
            }
        }

        table.Clear();
    }

    private int CountCachedBlocks(ReadOnlySpan<int> tokens)
    {
        // The block holding the last token is never reused: its logits must be computed.
        int candidates = _prefixCaching ? (tokens.Length - 1) / BlockSize : 0;
        ulong hash = 0;
        for (int b = 0; b < candidates; b++)
        {
            var blockTokens = tokens.Slice(b * BlockSize, BlockSize);
            hash = PrefixHash.Chain(hash, blockTokens);
            if (!_blockByHash.TryGetValue(hash, out int block) || !blockTokens.SequenceEqual(_tokens[block]))
            {
                return b;
            }
        }

        return candidates;
    }

    private int TakeFreeBlock()
    {
        int block = _free.First!.Value;
        _free.RemoveFirst();
        if (_hashed[block])
        {
            _blockByHash.Remove(_hash[block]);
            _hashesChanged = true;
            _hashed[block] = false;
        }

        _refCount[block] = 1;
        return block;
    }
}
