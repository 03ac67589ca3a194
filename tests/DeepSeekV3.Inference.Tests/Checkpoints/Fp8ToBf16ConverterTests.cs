using System.Text.Json;
using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tests.Golden;
using Xunit.Abstractions;

namespace DeepSeekV3.Inference.Tests.Checkpoints;

public sealed class Fp8ToBf16ConverterTests(ITestOutputHelper output)
{
    [Fact]
    public unsafe void Convert_GoldenFp8_EveryWeightIsItsDequantizedValueRoundedToBf16()
    {
        string source = Path.Combine(GoldenCase.Root, "tiny-fp8");
        using var directory = new TempDirectory();

        Fp8ToBf16Converter.Convert(source, directory.Path);

        using var original = Checkpoint.Open(source);
        using var converted = Checkpoint.Open(directory.Path);
        Assert.Null(converted.Config.Quantization);
        Assert.DoesNotContain(converted.TensorNames, name => name.EndsWith("_scale_inv", StringComparison.Ordinal));
        Assert.Equal(original.TensorNames.Count(n => !n.EndsWith("_scale_inv", StringComparison.Ordinal)), converted.TensorNames.Count);
        foreach (string name in original.TensorNames.Where(n => original.Info(n).Dtype == SafetensorsDtype.F8E4M3))
        {
            var info = original.Info(name);
            int rows = (int)info.Shape[0], columns = (int)info.Shape[1];
            var expected = NaiveKernels.Dequantize(original.Matrix(name, rows, columns));
            Assert.Equal(SafetensorsDtype.BF16, converted.Info(name).Dtype);
            var bits = new ReadOnlySpan<ushort>(converted.DataPointer(name), rows * columns);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(BFloat16.FromSingle(expected[i]), bits[i]);
            }
        }

        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory.Path, Checkpoint.IndexFileName)));
        long totalSize = converted.TensorNames.Sum(n => converted.Info(n).ByteLength);
        Assert.Equal(totalSize, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
    }

    [Fact]
    public void Convert_GoldenFp8_LogitsDifferOnlyByBf16Rounding()
    {
        var golden = GoldenCase.Load("tiny-fp8");
        using var directory = new TempDirectory();
        Fp8ToBf16Converter.Convert(golden.Directory, directory.Path);
        using var converted = Checkpoint.Open(directory.Path);
        var prompt = GoldenCase.Ints(golden.Expected.GetProperty("prompts")[0].GetProperty("tokens"));

        using var backend = new CpuBackend();
        var result = new GreedyGenerator(new Transformer(converted, backend)).Generate([prompt], 1)[0];
        float difference = GoldenCase.MaxAbsDifference(result.PrefillLogits,
            GoldenCase.Floats(golden.Expected.GetProperty("prompts")[0].GetProperty("prefill_logits")));

        output.WriteLine($"BF16-converted vs FP8 reference logits: max |Δ| = {difference:E2}");
        // BF16 keeps 8 significant bits: weights move by ≤ 2^-9 relative, logits (O(1)) by a few 1e-3.
        Assert.InRange(difference, 1e-6f, 0.05f);
    }

    [Fact]
    public void Convert_Bf16Checkpoint_IsRefused()
    {
        using var directory = new TempDirectory();
        var error = Assert.Throws<CheckpointException>(() =>
            Fp8ToBf16Converter.Convert(Path.Combine(GoldenCase.Root, "tiny-bf16"), directory.Path));

        Assert.Contains("no fp8 quantization_config", error.Message, StringComparison.Ordinal);
    }
}
