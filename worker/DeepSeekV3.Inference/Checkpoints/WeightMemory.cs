namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>Where a checkpoint's weights live while a model uses them.</summary>
public enum WeightMemory
{
    /// <summary>
    /// Views into the memory-mapped files: nothing is read until a kernel touches it, and processes on one machine
    /// share the page cache. 4 KiB pages.
    /// </summary>
    Mapped,

    /// <summary>
    /// Each tensor a model asks for is copied, when asked for, into memory backed by 2 MiB transparent huge pages
    /// (<see cref="HugePageArena"/>): fewer TLB misses while kernels stream weights, at the cost of reading the
    /// tensor at load and of a private copy per process. Falls back to <see cref="Mapped"/> where huge pages are not
    /// offered (not Linux, or transparent huge pages switched off).
    /// </summary>
    HugePages,
}
