namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// The plain allocator for runs without prefix sharing (CLI generation, benchmarks): a free list of the cache's
/// block ids. Invariant: an id is either free or in exactly one table.
/// </summary>
public sealed class KvBlockAllocator(KvCache cache)
{
    private readonly Stack<int> _free = new(Enumerable.Range(0, cache.BlockCount).Reverse());

    public KvCache Cache => cache;

    public int FreeBlockCount => _free.Count;

    /// <summary>Grows <paramref name="table"/> so it can hold <paramref name="tokens"/> tokens.</summary>
    public void EnsureCapacity(KvBlockTable table, int tokens)
    {
        int needed = cache.BlocksFor(tokens);
        if (needed - table.Count > _free.Count)
        {
            throw new InvalidOperationException(
                $"KV cache is full: {tokens} tokens need {needed - table.Count} more blocks, {_free.Count} free");
        }

        while (table.Count < needed)
        {
            table.Append(_free.Pop());
        }
    }

    /// <summary>Returns every block of <paramref name="table"/> to the free list.</summary>
    public void Release(KvBlockTable table)
    {
        foreach (int block in table.BlockIds)
        {
            _free.Push(block);
        }

        table.Clear();
    }
}
