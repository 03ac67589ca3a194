namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// Pages a checkpoint's weights into memory before serving, so the first request does not pay for disk reads, and
/// reports progress (tensors, bytes, rate) as it goes. Reading one byte per 4 KiB page is enough for the OS to map it.
/// </summary>
public static unsafe class CheckpointPreloader
{
    private const int PageBytes = 4096;

    /// <summary>Touches every page of the named tensors; <paramref name="progress"/> gets a line at most every 250 ms and at the end.</summary>
    public static long Preload(Checkpoint checkpoint, IReadOnlyCollection<string> tensorNames, Action<string> progress,
        TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        long start = time.GetTimestamp(), lastReport = start, total = tensorNames.Sum(n => checkpoint.Info(n).ByteLength), done = 0;
        int tensors = 0, sink = 0;
        foreach (string name in tensorNames)
        {
            byte* data = checkpoint.DataPointer(name);
            long length = checkpoint.Info(name).ByteLength;
            for (long offset = 0; offset < length; offset += PageBytes)
            {
                sink += data[offset];
            }

            done += length;
            tensors++;
            if (time.GetElapsedTime(lastReport).TotalMilliseconds >= 250 || tensors == tensorNames.Count)
            {
                lastReport = time.GetTimestamp();
                double seconds = Math.Max(time.GetElapsedTime(start).TotalSeconds, 1e-9);
                progress(FormattableString.Invariant(
                    $"loading weights: {tensors}/{tensorNames.Count} tensors, {done / 1e6:F1}/{total / 1e6:F1} MB, {done / 1e9 / seconds:F2} GB/s"));
            }
        }

        GC.KeepAlive(sink);
        return done;
    }
}
