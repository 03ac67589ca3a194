using DeepSeekV3.Worker.Bench;
using System.Text.Json;

namespace DeepSeekV3.Worker.Tests.Commands;

/// <summary>The dsv3 command line as a user runs it: output, files written, exit codes and error messages.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "dsv3-cli-tests", Guid.NewGuid().ToString("N"));

    public CommandLineTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Generate_TwoGoldenPrompts_PrintsReferenceGreedyTokensAndWritesLogits()
    {
        var golden = Golden("tiny-bf16");
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(golden, "expected.json")));
        var prompts = expected.RootElement.GetProperty("prompts");
        string logitsFile = Path.Combine(_temp, "logits.json");

        var (code, output, error) = Run("generate", "--model", golden, "--prompt-ids", Ids(prompts[0], "tokens"),
            "--prompt-ids", Ids(prompts[1], "tokens"), "--max-new-tokens", "9", "--logits-out", logitsFile);

        Assert.True(code == 0, error);
        Assert.Equal([Ids(prompts[0], "greedy_tokens"), Ids(prompts[1], "greedy_tokens")],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        using var written = JsonDocument.Parse(File.ReadAllBytes(logitsFile));
        var first = written.RootElement.GetProperty("prompts")[0];
        Assert.Equal(Ids(prompts[0], "greedy_tokens"), Ids(first, "greedy_tokens"));
        Assert.Equal(8, first.GetProperty("decode").GetArrayLength());
        var ours = first.GetProperty("decode")[7].GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var theirs = prompts[0].GetProperty("decode")[7].GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.InRange(ours.Zip(theirs, (a, b) => MathF.Abs(a - b)).Max(), 0, 1e-4f);
    }

    [Fact]
    public void MakeModelThenConvertThenGenerate_AllSucceed()
    {
        string fp8 = Path.Combine(_temp, "fp8"), bf16 = Path.Combine(_temp, "bf16");

        var made = Run("make-model", "--out", fp8, "--preset", "tiny", "--fp8", "--shards", "2", "--seed", "5");
        var converted = Run("convert", "fp8-to-bf16", "--in", fp8, "--out", bf16);
        var fromFp8 = Run("generate", "--model", fp8, "--prompt-ids", "0,1,2,3", "--max-new-tokens", "5");
        var fromBf16 = Run("generate", "--model", bf16, "--prompt-ids", "0,1,2,3", "--max-new-tokens", "5");

        Assert.True(made.Code == 0, made.Error);
        Assert.Contains("2 shard(s)", made.Output, StringComparison.Ordinal);
        Assert.True(converted.Code == 0, converted.Error);
        Assert.Equal(0, fromFp8.Code);
        Assert.Equal(0, fromBf16.Code);
        Assert.Equal(5, fromFp8.Output.Trim().Split(',').Length);
        Assert.True(File.Exists(Path.Combine(bf16, "model.safetensors.index.json")));
    }

    [Fact]
    public void Bench_TinyModel_PrintsEveryFigureAgainstItsLimit()
    {
        string model = Path.Combine(_temp, "tiny");
        Assert.Equal(0, Run("make-model", "--out", model, "--preset", "tiny").Code);

        var text = Run("bench", "--model", model, "--prompt-tokens", "16", "--decode-steps", "2", "--batch", "1,2", "--pool-profile");
        var json = Run("bench", "--model", model, "--prompt-tokens", "8,16", "--decode-steps", "2", "--batch", "1", "--json",
            "--weight-memory", "mapped");

        Assert.True(text.Code == 0, text.Error);
        Assert.Matches(@"memory bandwidth [\d.]+ GB/s \(STREAM triad, non-temporal stores\), [\d.]+ GB/s \(STREAM triad, ordinary stores\), [\d.]+ GB/s \(read\)", text.Output);
        Assert.Contains($"machine: {DeepSeekV3.Inference.Compute.CpuIdentity.Current}, ", text.Output, StringComparison.Ordinal);
        Assert.Contains($", stream prefetch {(DeepSeekV3.Inference.Compute.CpuBackend.StreamPrefetch ? "on" : "off")}, wide rows into L2 "
            + $"{(DeepSeekV3.Inference.Compute.CpuBackend.WideRowPrefetch ? "on" : "off")}, next panels into L2 "
            + $"{(DeepSeekV3.Inference.Compute.CpuBackend.PanelPrefetchIntoL2 ? "on" : "off")};", text.Output, StringComparison.Ordinal);
        Assert.Contains("of FMA peak", text.Output, StringComparison.Ordinal);
        Assert.Contains("decode batch   2:", text.Output, StringComparison.Ordinal);
        Assert.Matches(@"decode batch   2: .* of bandwidth roofline \([\d.]+ tokens/s\), +[\d.]+ % of ordinary-store triad, +[\d.]+ % of read bandwidth", text.Output);
        // Every decode figure also against the bandwidth probed around its own windows.
        Assert.Matches(@"decode batch   2: .*\n    against the bandwidth probed around each window \(median of 5\): triad [\d.]+ GB/s, ordinary-store triad [\d.]+ GB/s, read [\d.]+ GB/s → +[\d.]+ % of bandwidth roofline, +[\d.]+ % of ordinary-store triad, +[\d.]+ % of read bandwidth",
            text.Output);
        // By default the weights are copied into huge pages wherever the kernel offers them.
        Assert.Contains(DeepSeekV3.Inference.Checkpoints.HugePageArena.IsUseful ? "MB, huge-pages (process on huge pages: " : "MB, mapped",
            text.Output, StringComparison.Ordinal);
        Assert.Contains("kernel FP8  matrix-vector 8192x8192", text.Output, StringComparison.Ordinal);
        Assert.Contains("kernel BF16 matrix-matrix 2048x2048, 512 tokens", text.Output, StringComparison.Ordinal);
        // --pool-profile: after the figures, where the pool's time went in each measurement, one row per kind of run.
        Assert.Contains($"pool profile: {model}, prefill 16 tokens", text.Output, StringComparison.Ordinal);
        Assert.Contains($"pool profile: {model}, decode batch 2", text.Output, StringComparison.Ordinal);
        Assert.Contains("caller us", text.Output, StringComparison.Ordinal);
        Assert.Matches(@"\n    Linear 1000x192 BF16, 1 tokens, \d+x1 tasks +\d+ ", text.Output); // the output head, in decode
        // The caller's own code between runs, where the workers wait, has rows of its own.
        Assert.Matches(@"\n    caller code before [^\n]+ +\d+ ", text.Output);
        Assert.True(json.Code == 0, json.Error);
        using var report = JsonDocument.Parse(json.Output);
        var machine = report.RootElement.GetProperty("machine");
        Assert.True(machine.GetProperty("triad_bytes_per_second").GetDouble() > 0);
        Assert.True(machine.GetProperty("fma_flops_per_second").GetDouble() > 0);
        Assert.Equal(DeepSeekV3.Inference.Compute.CpuIdentity.Current.ToString(), machine.GetProperty("cpu").GetString());
        Assert.Equal(DeepSeekV3.Inference.Compute.CpuBackend.StreamPrefetch, machine.GetProperty("stream_prefetch").GetBoolean());
        Assert.Equal(DeepSeekV3.Inference.Compute.CpuBackend.WideRowPrefetch, machine.GetProperty("wide_row_prefetch").GetBoolean());
        Assert.Equal(DeepSeekV3.Inference.Compute.CpuBackend.PanelPrefetchIntoL2, machine.GetProperty("panel_prefetch_l2").GetBoolean());
        var kernels = report.RootElement.GetProperty("kernels").EnumerateArray().ToList();
        Assert.Equal(["FP8 1", "BF16 1", "FP8 512", "BF16 512"],
            kernels.Select(k => $"{k.GetProperty("format").GetString()} {k.GetProperty("tokens").GetInt32()}"));
        // Every fraction is its figure over the machine's measured limit. The limits are measured while the other test
        // assemblies run on the same cores, so a fraction may exceed 1 here: check the arithmetic, not the machine.
        double read = machine.GetProperty("read_bytes_per_second").GetDouble();
        double fma = machine.GetProperty("fma_flops_per_second").GetDouble();
        double triad = machine.GetProperty("triad_bytes_per_second").GetDouble();
        double triadOrdinaryStores = machine.GetProperty("triad_ordinary_stores_bytes_per_second").GetDouble();
        Assert.True(triadOrdinaryStores > 0);
        Assert.All(kernels, k => Assert.Equal(k.GetProperty("bytes_per_second").GetDouble() / read,
            k.GetProperty("read_bandwidth_fraction").GetDouble(), 9));
        Assert.All(kernels, k => Assert.Equal(k.GetProperty("flops_per_second").GetDouble() / fma,
            k.GetProperty("fma_peak_fraction").GetDouble(), 9));
        Assert.All(kernels, k => Assert.True(k.GetProperty("flops_per_second").GetDouble() > 0));
        var figures = report.RootElement.GetProperty("models")[0];
        Assert.Equal("mapped", figures.GetProperty("weight_memory").GetString());
        Assert.Equal([8, 16], figures.GetProperty("prefill").EnumerateArray().Select(p => p.GetProperty("tokens").GetInt32()));
        var decode = figures.GetProperty("decode")[0];
        Assert.True(decode.GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.Equal(decode.GetProperty("bytes_per_second").GetDouble(),
            decode.GetProperty("weight_bytes_per_token").GetDouble() * decode.GetProperty("tokens_per_second").GetDouble(), 3);
        Assert.Equal(decode.GetProperty("bytes_per_second").GetDouble() / triad, decode.GetProperty("roofline_fraction").GetDouble(), 9);
        Assert.Equal(decode.GetProperty("bytes_per_second").GetDouble() / triadOrdinaryStores,
            decode.GetProperty("ordinary_store_triad_fraction").GetDouble(), 9);
        Assert.Equal(decode.GetProperty("bytes_per_second").GetDouble() / read, decode.GetProperty("read_bandwidth_fraction").GetDouble(), 9);
        // The paired figures (their arithmetic is PairedBandwidthTests'): present, with bandwidths and fractions above zero.
        double pairedTriad = decode.GetProperty("paired_triad_bytes_per_second").GetDouble();
        double pairedTriadOrdinaryStores = decode.GetProperty("paired_triad_ordinary_stores_bytes_per_second").GetDouble();
        double pairedRead = decode.GetProperty("paired_read_bytes_per_second").GetDouble();
        Assert.True(pairedTriad > 0 && pairedTriadOrdinaryStores > 0 && pairedRead > 0, $"{pairedTriad} {pairedTriadOrdinaryStores} {pairedRead}");
        Assert.InRange(decode.GetProperty("paired_roofline_fraction").GetDouble(), 1e-9, double.MaxValue);
        Assert.InRange(decode.GetProperty("paired_ordinary_store_triad_fraction").GetDouble(), 1e-9, double.MaxValue);
        Assert.InRange(decode.GetProperty("paired_read_bandwidth_fraction").GetDouble(), 1e-9, double.MaxValue);
    }

    [Fact]
    public void BenchMachine_PrintsTheLimitsLine_OrTheirJsonObject()
    {
        var text = Run("bench", "machine", "--threads", "1");
        var json = Run("bench", "machine", "--threads", "1", "--json");

        Assert.True(text.Code == 0, text.Error);
        // One line, the same as the first line of `dsv3 bench`.
        Assert.Matches(@"^machine: [^\n]*, 1 threads, [^\n]*; memory bandwidth [\d.]+ GB/s \(STREAM triad, non-temporal stores\), [\d.]+ GB/s \(STREAM triad, ordinary stores\), [\d.]+ GB/s \(read\); FMA peak [\d.]+ GFLOP/s\n$",
            text.Output.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.True(json.Code == 0, json.Error);
        using var report = JsonDocument.Parse(json.Output);
        var machine = report.RootElement.GetProperty("machine");
        Assert.Equal(1, machine.GetProperty("threads").GetInt32());
        Assert.Equal(DeepSeekV3.Inference.Compute.CpuIdentity.Current.ToString(), machine.GetProperty("cpu").GetString());
        foreach (string field in new[] { "triad_bytes_per_second", "triad_ordinary_stores_bytes_per_second", "read_bytes_per_second", "fma_flops_per_second" })
        {
            Assert.InRange(machine.GetProperty(field).GetDouble(), 1e8, 1e15);
        }
    }

    [Fact]
    public void BenchMachineReadPatterns_PrintsBothTriadsEveryPatternAndTheFastestReadsFraction()
    {
        var (code, output, error) = Run("bench", "machine", "--read-patterns", "--rounds", "2", "--threads", "1");

        Assert.True(code == 0, error);
        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2 + 2 + ReadPattern.All.Count, lines.Length);
        Assert.StartsWith("read patterns, 1 threads, 2 rounds", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^  STREAM triad, non-temporal stores \(the roofline\) +[\d.]+ \[[\d.]+-[\d.]+\]$", lines[1]);
        Assert.Equal(ReadPattern.All.Select(p => "read, " + p.Name),
            lines.Skip(3).Take(ReadPattern.All.Count).Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^  (read, .*?) +[\d.]+ \[").Groups[1].Value));
        Assert.Matches(@"^  fastest read pattern: [\d.]+ % of the non-temporal triad", lines[^1]);
    }

    [Fact]
    public void BenchKernels_TwoShapes_PrintsEachProductAgainstTheMachinesLimits()
    {
        var (code, output, error) = Run("bench", "kernels", "--shape", "fp8:64x256", "--shape", "bf16:48x100", "--tokens", "1,6",
            "--copies", "2", "--threads", "1", "--huge-pages");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("FMA peak", lines[0], StringComparison.Ordinal);
        var figures = lines.Skip(1).Select(line => System.Text.RegularExpressions.Regex.Match(line,
            @"^(\S+) +(\d+) tokens, 2 copies \(([\d.]+) MB\): +([\d.]+) us/product +([\d.]+) GFLOP/s = +[\d.]+ % of FMA peak +([\d.]+) GB/s"))
            .ToList();
        Assert.Equal(4, figures.Count);
        Assert.All(figures, f => Assert.True(f.Success, f.Value));
        Assert.Equal(["fp8:64x256 1", "fp8:64x256 6", "bf16:48x100 1", "bf16:48x100 6"],
            figures.Select(f => $"{f.Groups[1].Value} {f.Groups[2].Value}"));
        foreach (var f in figures)
        {
            // GFLOP/s is 2 · tokens · rows · columns per product time, within what the printed time's two decimals allow.
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            var sides = f.Groups[1].Value.Split(':')[1].Split('x').Select(double.Parse).ToArray();
            double microseconds = double.Parse(f.Groups[4].Value, invariant), tokens = double.Parse(f.Groups[2].Value, invariant);
            double flop = 2 * tokens * sides[0] * sides[1], bytes = sides[0] * sides[1] * (f.Groups[1].Value.StartsWith("bf16", StringComparison.Ordinal) ? 2 : 1);
            Assert.True(microseconds >= 0.01, f.Value);
            Assert.InRange(double.Parse(f.Groups[5].Value, invariant), (flop / ((microseconds + 0.005) * 1e3)) - 0.05,
                (flop / ((microseconds - 0.005) * 1e3)) + 0.05);
            Assert.Equal(2 * bytes / 1e6, double.Parse(f.Groups[3].Value, invariant), 0.1);
        }
    }

    [Theory]
    [InlineData(new[] { "fly" }, "unknown command 'fly'")]
    [InlineData(new[] { "generate", "--prompt-ids", "1" }, "--model is required")]
    [InlineData(new[] { "generate", "--model", "GOLDEN", "--prompt-ids", "1,x" }, "--prompt-ids must be comma-separated non-negative token ids")]
    [InlineData(new[] { "generate", "--model", "GOLDEN", "--prompt-ids", "1", "--colour", "red" }, "unknown option --colour")]
    [InlineData(new[] { "generate", "--model", "GOLDEN", "--prompt-ids", "1000" }, "token id 1000 is outside the vocabulary [0, 1000)")]
    [InlineData(new[] { "generate", "--model", "GOLDEN", "--prompt-ids", "1", "--max-new-tokens", "0" }, "--max-new-tokens must be an integer")]
    [InlineData(new[] { "generate", "--model", "GOLDEN" }, "give at least one --prompt-ids")]
    [InlineData(new[] { "generate", "--model", "GOLDEN", "--prompt-ids", "1", "--weight-memory", "swap" }, "--weight-memory must be 'huge-pages' or 'mapped', not 'swap'")]
    [InlineData(new[] { "make-model", "--out", "x", "--preset", "huge" }, "--preset must be one of tiny, small")]
    [InlineData(new[] { "convert", "bf16-to-fp8" }, "the only conversion is 'fp8-to-bf16'")]
    [InlineData(new[] { "bench", "--json", "--pool-profile" }, "--pool-profile prints tables after the figures; it does not combine with --json")]
    [InlineData(new[] { "bench", "kernels", "--tokens", "4" }, "give at least one --shape, e.g. --shape fp8:384x1024")]
    [InlineData(new[] { "bench", "kernels", "--shape", "int4:64x64" }, "--shape must be fp8:ROWSxCOLUMNS or bf16:ROWSxCOLUMNS with positive sides; got 'int4:64x64'")]
    [InlineData(new[] { "bench", "kernels", "--shape", "fp8:0x64" }, "--shape must be fp8:ROWSxCOLUMNS or bf16:ROWSxCOLUMNS with positive sides; got 'fp8:0x64'")]
    [InlineData(new[] { "bench", "kernels", "--shape", "fp8:64x64", "--tokens", "0" }, "--tokens must be between 1 and 65536")]
    [InlineData(new[] { "bench", "kernels", "--shape", "bf16:16384x16384", "--copies", "20" }, "20 copies of bf16:16384x16384 would take 10.0 GiB; keep them within 8 GiB")]
    [InlineData(new[] { "bench", "kernels", "--shape", "fp8:1x100000", "--tokens", "30000" }, "30000 tokens of fp8:1x100000 are more values than one array holds; give fewer --tokens")]
    [InlineData(new[] { "bench", "machine", "--shape", "fp8:64x64" }, "unknown option --shape")]
    [InlineData(new[] { "bench", "machine", "--threads", "0" }, "--threads must be an integer in [1, 1024], not '0'")]
    [InlineData(new[] { "bench", "machine", "--read-patterns", "--json" }, "--read-patterns prints a table; it does not combine with --json")]
    [InlineData(new[] { "bench", "machine", "--rounds", "3" }, "--rounds counts the rounds of --read-patterns")]
    [InlineData(new[] { "bench", "machine", "--read-patterns", "--rounds", "0" }, "--rounds must be an integer in [1, 1000], not '0'")]
    public void Run_BadCommandLine_ExitsTwoWithMessage(string[] arguments, string expected)
    {
        var (code, _, error) = Run([.. arguments.Select(a => a == "GOLDEN" ? Golden("tiny-bf16") : a)]);

        Assert.Equal(2, code);
        Assert.Contains("dsv3: error: " + expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_DirectoryWithoutCheckpoint_ExitsOneNamingTheProblem()
    {
        var (code, _, error) = Run("generate", "--model", _temp, "--prompt-ids", "1");

        Assert.Equal(1, code);
        Assert.Contains("bad checkpoint", error, StringComparison.Ordinal);
        Assert.Contains("config.json", error, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(arguments, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Ids(JsonElement element, string property) =>
        string.Join(',', element.GetProperty(property).EnumerateArray().Select(e => e.GetInt32()));

    private static string Golden(string name) => GoldenData.Directory(name);
}
