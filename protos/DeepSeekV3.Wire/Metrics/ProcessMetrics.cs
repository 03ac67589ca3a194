using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DeepSeekV3.Wire.Metrics;

/// <summary>
/// Process and .NET runtime metrics with the names Prometheus client libraries use (process_*) and dotnet_* for the
/// runtime: CPU, memory, open files, start time, GC collections and heap, allocated bytes, thread pool.
/// </summary>
public static class ProcessMetrics
{
    public const string MeterName = "DeepSeekV3.Process";

    /// <summary>Creates the observable instruments on a meter of <see cref="MeterName"/>; keep it alive with the exporter.</summary>
    public static Meter Create()
    {
        var meter = new Meter(MeterName);
        var process = Process.GetCurrentProcess();
        double startTime = new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        meter.CreateObservableCounter("process_cpu_seconds_total", () => { process.Refresh(); return process.TotalProcessorTime.TotalSeconds; },
            description: "Total user and system CPU time spent in seconds.");
        meter.CreateObservableGauge("process_resident_memory_bytes", () => { process.Refresh(); return process.WorkingSet64; },
            description: "Resident memory size in bytes.");
        meter.CreateObservableGauge("process_virtual_memory_bytes", () => { process.Refresh(); return process.VirtualMemorySize64; },
            description: "Virtual memory size in bytes.");
        meter.CreateObservableGauge("process_start_time_seconds", () => startTime,
            description: "Start time of the process since unix epoch in seconds.");
        meter.CreateObservableGauge("process_open_fds", OpenFileDescriptors, description: "Number of open file descriptors.");
        meter.CreateObservableCounter("dotnet_gc_collections_total", () => new[]
        {
            new Measurement<long>(GC.CollectionCount(0), new KeyValuePair<string, object?>("generation", "0")),
            new Measurement<long>(GC.CollectionCount(1), new KeyValuePair<string, object?>("generation", "1")),
            new Measurement<long>(GC.CollectionCount(2), new KeyValuePair<string, object?>("generation", "2")),
        }, description: "Garbage collections since the process started, by generation.");
        meter.CreateObservableGauge("dotnet_gc_heap_size_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes,
            description: "Managed heap size after the last collection, in bytes.");
        meter.CreateObservableCounter("dotnet_gc_allocated_bytes_total", () => GC.GetTotalAllocatedBytes(),
            description: "Bytes allocated on the managed heap since the process started.");
        meter.CreateObservableGauge("dotnet_threadpool_threads", () => ThreadPool.ThreadCount,
            description: "Thread pool threads.");
        meter.CreateObservableGauge("dotnet_threadpool_queue_length", () => ThreadPool.PendingWorkItemCount,
            description: "Work items queued to the thread pool.");
        return meter;
    }

    private static int OpenFileDescriptors()
    {
        try
        {
            return Directory.GetFiles("/proc/self/fd").Length;
        }
        catch (DirectoryNotFoundException)
        {
            return 0; // not Linux
        }
    }
}
