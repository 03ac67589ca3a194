namespace DeepSeekV3.Worker.Serving;

/// <summary>
/// The chained hash of full token blocks that names a cached prefix: block b's hash covers every token before and in
/// it. Workers report the hashes they hold; the router hashes a prompt the same way to find the longest cached prefix.
/// </summary>
public static class PrefixHash
{
    /// <summary>FNV-1a-style mix of the previous block's hash and this block's token ids.</summary>
    public static ulong Chain(ulong previous, ReadOnlySpan<int> tokens)
    {
        ulong hash = 14695981039346656037UL ^ previous;
        foreach (int token in tokens)
        {
            hash = (hash ^ (uint)token) * 1099511628211UL;
            hash = (hash ^ (hash >> 29)) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>The hash of every full block of <paramref name="tokens"/>, in order.</summary>
    public static ulong[] Blocks(ReadOnlySpan<int> tokens, int blockSize)
    {
        var hashes = new ulong[tokens.Length / blockSize];
        ulong hash = 0;
        for (int b = 0; b < hashes.Length; b++)
        {
            hashes[b] = hash = Chain(hash, tokens.Slice(b * blockSize, blockSize));
        }

        return hashes;
    }
}
