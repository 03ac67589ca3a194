using System.Diagnostics;
using System.Runtime.Intrinsics;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// Measures the two limits of the engine on this machine with every thread the engine uses: memory bandwidth
/// (<see cref="BandwidthProbe"/>: STREAM's triad with non-temporal and with ordinary stores, and a pure read) and peak float32 FMA throughput (independent FMA chains
/// in registers, so neither memory nor latency limits them). Best of several runs, as STREAM reports.
/// </summary>
public static class MachineProbe
{
    private const int Runs = 5;

    public static MachineLimits Measure(int threads)
    {
        using var bandwidth = new BandwidthProbe(threads);
        return Measure(threads, bandwidth);
    }

    /// <summary><see cref="Measure(int)"/> with the bandwidth probed on <paramref name="bandwidth"/>'s arrays.</summary>
    public static MachineLimits Measure(int threads, BandwidthProbe bandwidth)
    {
        double triad = Best(bandwidth.TriadBytesPerSecond);
        double triadOrdinaryStores = Best(bandwidth.TriadOrdinaryStoresBytesPerSecond);
        double read = Best(bandwidth.ReadBytesPerSecond);
        double fma = FmaPeak(threads);
        return new MachineLimits(
            threads,
            CpuIdentity.Current.ToString(),
            CpuBackend.StreamPrefetch,
            CpuBackend.WideRowPrefetch,
            CpuBackend.PanelPrefetchIntoL2,
            Vector512.IsHardwareAccelerated ? "AVX-512 (512-bit)" : Vector256.IsHardwareAccelerated ? "AVX2 (256-bit)" : "128-bit",
            triad,
            triadOrdinaryStores,
            read,
            fma);
    }

    /// <summary>
    /// <paramref name="limits"/> with the FMA peak taken again (best of <see cref="Runs"/> more runs) and the higher of the
    /// two kept. The peak is the processor's, not the moment's, but on a shared host a neighbour can hold a core through
    /// all the runs at the start of a bench (2026-12-07, Zen 4 VM: 117 GFLOP/s in one run, 228-233 in the others, which
    /// put that run's prefill at 146-150 % of "peak"); a second look minutes later rarely meets it again.
    /// </summary>
    public static MachineLimits WithFmaPeakRetaken(MachineLimits limits) =>
        limits with { FmaFlopsPerSecond = Math.Max(limits.FmaFlopsPerSecond, FmaPeak(limits.Threads)) };

    private static double FmaPeak(int threads)
    {
        using var pool = new WorkerPool(threads);
        var fmaJob = new FmaJob();
        return Best(() =>
        {
            long start = Stopwatch.GetTimestamp();
            pool.Run(fmaJob, threads);
            return FmaJob.FlopsPerTask * threads / Stopwatch.GetElapsedTime(start).TotalSeconds;
        });
    }

    private static double Best(Func<double> rate)
    {
        double best = 0;
        for (int i = 0; i < Runs; i++)
        {
            best = Math.Max(best, rate());
        }

        return best;
    }

    private sealed class FmaJob : IParallelJob
    {
        private const int Iterations = 4_000_000;
        private const int Chains = 12; // enough independent accumulators to cover FMA latency on every x64 core
        private float _sink;

        public static double FlopsPerTask => 2.0 * Chains * Iterations * (Vector512.IsHardwareAccelerated ? 16 : 8);

        public void Execute(int task)
        {
            float result = Vector512.IsHardwareAccelerated ? Run512() : Run256();
            _sink += result; // keeps the loop observable
        }

        private static float Run512()
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> x0 = m, x1 = m, x2 = m, x3 = m, x4 = m, x5 = m, x6 = m, x7 = m, x8 = m, x9 = m, x10 = m, x11 = m;
            for (int i = 0; i < Iterations; i++)
            {
                x0 = Vector512.FusedMultiplyAdd(x0, m, a); x1 = Vector512.FusedMultiplyAdd(x1, m, a);
                x2 = Vector512.FusedMultiplyAdd(x2, m, a); x3 = Vector512.FusedMultiplyAdd(x3, m, a);
                x4 = Vector512.FusedMultiplyAdd(x4, m, a); x5 = Vector512.FusedMultiplyAdd(x5, m, a);
                x6 = Vector512.FusedMultiplyAdd(x6, m, a); x7 = Vector512.FusedMultiplyAdd(x7, m, a);
                x8 = Vector512.FusedMultiplyAdd(x8, m, a); x9 = Vector512.FusedMultiplyAdd(x9, m, a);
                x10 = Vector512.FusedMultiplyAdd(x10, m, a); x11 = Vector512.FusedMultiplyAdd(x11, m, a);
            }

            return Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
        }

        private static float Run256()
        {
            var m = Vector256.Create(0.999999f);
            var a = Vector256.Create(1e-7f);
            Vector256<float> x0 = m, x1 = m, x2 = m, x3 = m, x4 = m, x5 = m, x6 = m, x7 = m, x8 = m, x9 = m, x10 = m, x11 = m;
            for (int i = 0; i < Iterations; i++)
            {
                x0 = Vector256.FusedMultiplyAdd(x0, m, a); x1 = Vector256.FusedMultiplyAdd(x1, m, a);
                x2 = Vector256.FusedMultiplyAdd(x2, m, a); x3 = Vector256.FusedMultiplyAdd(x3, m, a);
                x4 = Vector256.FusedMultiplyAdd(x4, m, a); x5 = Vector256.FusedMultiplyAdd(x5, m, a);
                x6 = Vector256.FusedMultiplyAdd(x6, m, a); x7 = Vector256.FusedMultiplyAdd(x7, m, a);
                x8 = Vector256.FusedMultiplyAdd(x8, m, a); x9 = Vector256.FusedMultiplyAdd(x9, m, a);
                x10 = Vector256.FusedMultiplyAdd(x10, m, a); x11 = Vector256.FusedMultiplyAdd(x11, m, a);
            }

            return Vector256.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
        }
    }
}
