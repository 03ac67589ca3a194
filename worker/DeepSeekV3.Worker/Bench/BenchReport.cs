using System.Globalization;
using System.Text.Json;

namespace DeepSeekV3.Worker.Bench;

/// <summary>
/// The figures of one <c>dsv3 bench</c> run, written as text (units on every figure, each compared with its limit)
/// or as one JSON object whose fields the README documents.
/// </summary>
public sealed record BenchReport(MachineLimits Machine, IReadOnlyList<KernelResult> Kernels, IReadOnlyList<ModelBenchmark> Models)
{
    public void WriteText(TextWriter output)
    {
        var m = Machine;
        output.WriteLine(MachineLine(m));
        foreach (var k in Kernels)
        {
            output.WriteLine(k.Tokens == 1
                ? Format($"kernel {k.Format,-4} matrix-vector {k.Rows}x{k.Columns} ({k.WeightBytes / 1e6:F0} MB), 1 token: {k.BytesPerSecond / 1e9,6:F2} GB/s = {k.BytesPerSecond / m.ReadBytesPerSecond,6:P1} of read bandwidth")
                : Format($"kernel {k.Format,-4} matrix-matrix {k.Rows}x{k.Columns}, {k.Tokens} tokens: {k.FlopsPerSecond / 1e9,6:F1} GFLOP/s = {k.FlopsPerSecond / m.FmaFlopsPerSecond,6:P1} of FMA peak"));
        }

        foreach (var model in Models)
        {
            output.WriteLine(Format($"model {model.Directory}: {model.Format}, {model.Layers} layers, hidden {model.Hidden}, weights {model.WeightBytes / 1e6:F1} MB, {Placement(model.Placement)}"));
            foreach (var p in model.Prefill)
            {
                output.WriteLine(Format($"  prefill {p.Tokens,5} tokens: {p.TokensPerSecond,9:F1} tokens/s  {p.FlopsPerSecond / 1e9,7:F1} GFLOP/s = {p.FlopsPerSecond / m.FmaFlopsPerSecond,6:P1} of FMA peak"));
            }

            foreach (var d in model.Decode)
            {
                double roofline = m.TriadBytesPerSecond / d.WeightBytesPerToken;
                output.WriteLine(Format($"  decode batch {d.Batch,3}: {d.TokensPerSecond,9:F1} tokens/s  weights {d.WeightBytesPerToken / 1e6,7:F2} MB/token → {d.BytesPerSecond / 1e9,6:F2} GB/s = {d.BytesPerSecond / m.TriadBytesPerSecond,6:P1} of bandwidth roofline ({roofline:F1} tokens/s), {d.BytesPerSecond / m.TriadOrdinaryStoresBytesPerSecond,6:P1} of ordinary-store triad, {d.BytesPerSecond / m.ReadBytesPerSecond,6:P1} of read bandwidth  allocated {d.AllocatedBytesPerToken:F0} B/token"));
                if (d.Paired is { } paired)
                {
                    output.WriteLine(Format($"    against the bandwidth probed around each window (median of {paired.Windows}): triad {paired.TriadBytesPerSecond / 1e9:F1} GB/s, ordinary-store triad {paired.TriadOrdinaryStoresBytesPerSecond / 1e9:F1} GB/s, read {paired.ReadBytesPerSecond / 1e9:F1} GB/s → {paired.RooflineFraction:P1} of bandwidth roofline, {paired.OrdinaryStoreTriadFraction:P1} of ordinary-store triad, {paired.ReadFraction:P1} of read bandwidth"));
                }
            }
        }
    }

    /// <summary>What the machine is and can do, as the first line of every engine bench (and all of <c>dsv3 bench machine</c>).</summary>
    public static string MachineLine(MachineLimits m) =>
        Format($"machine: {m.Description}; memory bandwidth {m.TriadBytesPerSecond / 1e9:F1} GB/s (STREAM triad, non-temporal stores), {m.TriadOrdinaryStoresBytesPerSecond / 1e9:F1} GB/s (STREAM triad, ordinary stores), {m.ReadBytesPerSecond / 1e9:F1} GB/s (read); FMA peak {m.FmaFlopsPerSecond / 1e9:F1} GFLOP/s");

    /// <summary>The report as one JSON object whose fields the README documents.</summary>
    public void WriteJson(TextWriter output) => WriteDocument(output, WriteFields);

    /// <summary><c>dsv3 bench machine --json</c>: the report's <c>machine</c> object alone, in an object of its own.</summary>
    public static void WriteMachineJson(TextWriter output, MachineLimits machine) =>
        WriteDocument(output, json => WriteMachine(json, machine));

    /// <summary>One indented JSON object holding what <paramref name="fields"/> writes, as a line of text.</summary>
    private static void WriteDocument(TextWriter output, Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            fields(json);
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteMachine(Utf8JsonWriter json, MachineLimits m)
    {
        json.WriteStartObject("machine");
        json.WriteNumber("threads", m.Threads);
        json.WriteString("cpu", m.Cpu);
        json.WriteBoolean("stream_prefetch", m.StreamPrefetch);
        json.WriteBoolean("wide_row_prefetch", m.WideRowPrefetch);
        json.WriteBoolean("panel_prefetch_l2", m.PanelPrefetchIntoL2);
        json.WriteString("vector", m.Vector);
        json.WriteNumber("triad_bytes_per_second", m.TriadBytesPerSecond);
        json.WriteNumber("triad_ordinary_stores_bytes_per_second", m.TriadOrdinaryStoresBytesPerSecond);
        json.WriteNumber("read_bytes_per_second", m.ReadBytesPerSecond);
        json.WriteNumber("fma_flops_per_second", m.FmaFlopsPerSecond);
        json.WriteEndObject();
    }

    private void WriteFields(Utf8JsonWriter json)
    {
        WriteMachine(json, Machine);
        json.WriteStartArray("kernels");
        foreach (var k in Kernels)
        {
            json.WriteStartObject();
            json.WriteString("format", k.Format);
            json.WriteNumber("rows", k.Rows);
            json.WriteNumber("columns", k.Columns);
            json.WriteNumber("weight_bytes", k.WeightBytes);
            json.WriteNumber("tokens", k.Tokens);
            json.WriteNumber("bytes_per_second", k.BytesPerSecond);
            json.WriteNumber("read_bandwidth_fraction", k.BytesPerSecond / Machine.ReadBytesPerSecond);
            json.WriteNumber("flops_per_second", k.FlopsPerSecond);
            json.WriteNumber("fma_peak_fraction", k.FlopsPerSecond / Machine.FmaFlopsPerSecond);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("models");
        foreach (var model in Models)
        {
            json.WriteStartObject();
            json.WriteString("directory", model.Directory);
            json.WriteString("format", model.Format);
            json.WriteNumber("layers", model.Layers);
            json.WriteNumber("hidden_size", model.Hidden);
            json.WriteNumber("weight_bytes", model.WeightBytes);
            json.WriteString("weight_memory", model.Placement.Memory);
            if (model.Placement.ProcessHugePageBytes is { } hugePageBytes)
            {
                json.WriteNumber("process_huge_page_bytes", hugePageBytes);
            }
            else
            {
                json.WriteNull("process_huge_page_bytes");
            }
            json.WriteStartArray("prefill");
            foreach (var p in model.Prefill)
            {
                json.WriteStartObject();
                json.WriteNumber("tokens", p.Tokens);
                json.WriteNumber("tokens_per_second", p.TokensPerSecond);
                json.WriteNumber("flops_per_second", p.FlopsPerSecond);
                json.WriteNumber("fma_peak_fraction", p.FlopsPerSecond / Machine.FmaFlopsPerSecond);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("decode");
            foreach (var d in model.Decode)
            {
                json.WriteStartObject();
                json.WriteNumber("batch", d.Batch);
                json.WriteNumber("tokens_per_second", d.TokensPerSecond);
                json.WriteNumber("weight_bytes_per_token", d.WeightBytesPerToken);
                json.WriteNumber("bytes_per_second", d.BytesPerSecond);
                json.WriteNumber("roofline_fraction", d.BytesPerSecond / Machine.TriadBytesPerSecond);
                json.WriteNumber("roofline_tokens_per_second", Machine.TriadBytesPerSecond / d.WeightBytesPerToken);
                json.WriteNumber("ordinary_store_triad_fraction", d.BytesPerSecond / Machine.TriadOrdinaryStoresBytesPerSecond);
                json.WriteNumber("read_bandwidth_fraction", d.BytesPerSecond / Machine.ReadBytesPerSecond);
                json.WriteNumber("allocated_bytes_per_token", d.AllocatedBytesPerToken);
                if (d.Paired is { } paired)
                {
                    json.WriteNumber("paired_triad_bytes_per_second", paired.TriadBytesPerSecond);
                    json.WriteNumber("paired_triad_ordinary_stores_bytes_per_second", paired.TriadOrdinaryStoresBytesPerSecond);
                    json.WriteNumber("paired_read_bytes_per_second", paired.ReadBytesPerSecond);
                    json.WriteNumber("paired_roofline_fraction", paired.RooflineFraction);
                    json.WriteNumber("paired_ordinary_store_triad_fraction", paired.OrdinaryStoreTriadFraction);
                    json.WriteNumber("paired_read_bandwidth_fraction", paired.ReadFraction);
                }
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static string Placement(WeightPlacement placement) => placement.ProcessHugePageBytes is { } bytes
        ? Format($"{placement.Memory} (process on huge pages: {bytes / 1e6:F0} MB)")
        : placement.Memory;

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
