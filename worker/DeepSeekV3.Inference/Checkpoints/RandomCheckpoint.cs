using System.Runtime.InteropServices;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// Writes a random-weight checkpoint in the real Hugging Face DeepSeek-V3 layout (config.json, safetensors shards,
/// index), BF16 or FP8 with 128x128 block scales, for demos, tests and benchmarks. Weights are scaled so
/// activations stay O(1) through every layer; the same preset and seed give identical files.
/// </summary>
public static class RandomCheckpoint
{
    public const int Fp8BlockSize = 128;

    public static ModelConfig Write(string directory, ModelConfig architecture, bool fp8, int shards, ulong seed)
    {
        var config = architecture with { Quantization = fp8 ? new Fp8Quantization(Fp8BlockSize, Fp8BlockSize) : null };
        Directory.CreateDirectory(directory);
        var tensors = new List<PendingTensor>();
        foreach (var spec in CheckpointLayout.Tensors(config))
        {
            if (fp8 && spec.Role == TensorRole.Projection)
            {
                int rows = (int)spec.Shape[0], columns = (int)spec.Shape[1];
                long[] scaleShape = [(rows + Fp8BlockSize - 1) / Fp8BlockSize, (columns + Fp8BlockSize - 1) / Fp8BlockSize];
                tensors.Add(new PendingTensor(spec.Name, SafetensorsDtype.F8E4M3, spec.Shape, stream =>
                {
                    var values = Values(spec, seed);
                    var scales = Fp8BlockQuantizer.Scales(values, rows, columns, Fp8BlockSize, Fp8BlockSize);
                    stream.Write(Fp8BlockQuantizer.Codes(values, rows, columns, Fp8BlockSize, Fp8BlockSize, scales));
                }));
                tensors.Add(new PendingTensor(spec.Name + "_scale_inv", SafetensorsDtype.F32, scaleShape, stream =>
                    stream.Write(MemoryMarshal.AsBytes(Fp8BlockQuantizer.Scales(Values(spec, seed), rows, columns,
                        Fp8BlockSize, Fp8BlockSize).AsSpan()))));
            }
            else if (spec.Role == TensorRole.GateBias)
            {
                tensors.Add(new PendingTensor(spec.Name, SafetensorsDtype.F32, spec.Shape, stream =>
                    stream.Write(MemoryMarshal.AsBytes(Values(spec, seed).AsSpan()))));
            }
            else
            {
                tensors.Add(new PendingTensor(spec.Name, SafetensorsDtype.BF16, spec.Shape, stream =>
                    WriteBFloat16(stream, Values(spec, seed))));
            }
        }

        ShardedCheckpointWriter.Write(directory, tensors, shards);
        ConfigJsonWriter.Write(Path.Combine(directory, "config.json"), config);
        Tokenization.TokenizerFiles.Write(directory, config.VocabSize);
        return config;
    }

    public static void WriteBFloat16(Stream stream, ReadOnlySpan<float> values)
    {
        var bits = new ushort[Math.Min(values.Length, 1 << 16)];
        for (int start = 0; start < values.Length; start += bits.Length)
        {
            int count = Math.Min(bits.Length, values.Length - start);
            for (int i = 0; i < count; i++)
            {
                bits[i] = BFloat16.FromSingle(values[start + i]);
            }

            stream.Write(MemoryMarshal.AsBytes(bits.AsSpan(0, count)));
        }
    }

    private static float[] Values(CheckpointTensorSpec spec, ulong seed)
    {
        var random = new DeterministicRandom(DeterministicRandom.Derive(seed, spec.Name));
        long count = spec.Shape.Aggregate(1L, (product, dim) => product * dim);
        var values = new float[count];
        // Uniform(-a, a) has standard deviation a/√3: projections get 1/√fan_in so each layer keeps the scale.
        float fanIn = spec.Shape.Length == 2 ? spec.Shape[1] : 1;
        (float scale, float offset) = spec.Role switch
        {
            TensorRole.Embedding => (1f, 0f),
            TensorRole.Norm => (0.1f, 1f),
            TensorRole.GateBias => (0.05f, 0f),
            _ => (MathF.Sqrt(3f / fanIn), 0f),
        };
        for (long i = 0; i < count; i++)
        {
            values[i] = (random.NextSigned() * scale) + offset;
        }

        return values;
    }
}
