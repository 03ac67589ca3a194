namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// SplitMix64: a tiny generator whose output is fixed by its seed forever (unlike System.Random's unspecified
/// algorithm), so a preset and seed always produce byte-identical checkpoints.
/// </summary>
public struct DeterministicRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A seed for an independent stream, from a base seed and a name (FNV-1a of the name).</summary>
    public static ulong Derive(ulong seed, string name)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash ^ (seed * 0x9E3779B97F4A7C15UL);
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [-1, 1).</summary>
    public float NextSigned() => ((NextUInt64() >> 40) / (float)(1 << 24) * 2f) - 1f;
}
