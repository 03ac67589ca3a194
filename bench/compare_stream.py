#!/usr/bin/env python3
"""Side by side: STREAM's own stream.c vs `dsv3 bench machine`, same machine, alternating rounds.

`dsv3 bench` judges decode against "a STREAM-like triad", and the triad's figure depends on how its stores are written:
the bench's roofline triad streams them (non-temporal stores, no write-allocate read), STREAM as its C source is usually
built (gcc or clang, ordinary stores) does not, and STREAM counts the same 12 bytes an element either way. This script
puts the real stream.c beside both of the bench's triads and its read probe, so anyone can see on their own host how far
apart the figures are. stream.c (https://www.cs.virginia.edu/stream/, mirrored at github.com/jeffhammond/STREAM) is NOT
part of this repository and must not be committed: fetch it yourself and pass its path with --stream-c.

Each round runs stream.c, then `dsv3 bench machine`, so slow drifts of the memory hit both alike; the table shows every
round and the medians. stream.c is compiled with gcc -O3 -march=native -fopenmp and runs with OMP_NUM_THREADS set to
--threads and threads bound to cores; it reports the best of its NTIMES runs (--ntimes, by default 5: the bench reports
the best of 5, and on a host whose memory comes in bursts the best of more runs reads higher).

Usage:
  python3 bench/compare_stream.py --stream-c /path/to/stream.c [--rounds 6] [--threads 2] [--array-size 40000000] [--ntimes 5]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DSV3 = os.path.join(ROOT, "worker", "DeepSeekV3.Worker", "bin", "Release", "net10.0", "dsv3")


def build_stream(source, array_size, ntimes, folder):
    binary = os.path.join(folder, "stream")
    subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", f"-DSTREAM_ARRAY_SIZE={array_size}", f"-DNTIMES={ntimes}",
                    source, "-o", binary], check=True)
    return binary


def stream_rates(binary, threads):
    """stream.c's best rates in GB/s by kernel name (it prints MB/s as 1e6 bytes per second)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_PROC_BIND="true")
    output = subprocess.run([binary], check=True, capture_output=True, text=True, env=env).stdout
    rates = {}
    for name in ("Copy", "Scale", "Add", "Triad"):
        match = re.search(rf"^{name}:\s+([\d.]+)", output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"stream.c printed no {name} line:\n{output}")
        rates[name.lower()] = float(match.group(1)) / 1e3
    return rates


def dsv3_rates(threads):
    result = subprocess.run([DSV3, "bench", "machine", "--threads", str(threads), "--json"], check=True,
                            capture_output=True, text=True)
    machine = json.loads(result.stdout)["machine"]
    return {"triad_non_temporal": machine["triad_bytes_per_second"] / 1e9,
            "triad_ordinary": machine["triad_ordinary_stores_bytes_per_second"] / 1e9,
            "read": machine["read_bytes_per_second"] / 1e9}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-c", required=True, help="path of STREAM's stream.c (not part of this repository)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--array-size", type=int, default=40_000_000,
                        help="doubles per stream.c array (3 arrays); far beyond the last-level cache")
    parser.add_argument("--ntimes", type=int, default=5, help="runs of each stream.c kernel, the best reported (at least 2)")
    args = parser.parse_args()
    if not os.path.isfile(args.stream_c):
        sys.exit(f"--stream-c: no file at {args.stream_c}")
    if not os.path.isfile(DSV3):
        sys.exit(f"build dsv3 first (dotnet build -c Release DeepSeekV3.Cluster.sln): no {DSV3}")
    if args.rounds < 1 or args.threads < 1 or args.ntimes < 2:
        sys.exit("--rounds and --threads must be at least 1, --ntimes at least 2 (stream.c drops its first run)")

    columns = ["stream.c triad", "stream.c copy", "dsv3 triad (non-temporal)", "dsv3 triad (ordinary)", "dsv3 read"]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        binary = build_stream(args.stream_c, args.array_size, args.ntimes, folder)
        for round_index in range(args.rounds):
            theirs = stream_rates(binary, args.threads)
            ours = dsv3_rates(args.threads)
            rows.append([theirs["triad"], theirs["copy"], ours["triad_non_temporal"], ours["triad_ordinary"], ours["read"]])
            print(f"round {round_index + 1}: " + ", ".join(f"{c} {v:.1f}" for c, v in zip(columns, rows[-1])) + " GB/s",
                  flush=True)

    medians = [statistics.median(column) for column in zip(*rows)]
    print("medians: " + ", ".join(f"{c} {v:.1f}" for c, v in zip(columns, medians)) + " GB/s")
    print(f"dsv3's non-temporal triad / stream.c's triad: {medians[2] / medians[0]:.2f}; "
          f"dsv3's ordinary-store triad / stream.c's triad: {medians[3] / medians[0]:.2f}; "
          f"read / stream.c's triad: {medians[4] / medians[0]:.2f}")


if __name__ == "__main__":
    main()
