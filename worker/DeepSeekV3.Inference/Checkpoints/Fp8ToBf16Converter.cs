using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// Rewrites an FP8 checkpoint as BF16, as DeepSeek's own <c>fp8_cast_bf16.py</c> does for its FP8 release: every
/// F8_E4M3 weight is dequantized with its <c>weight_scale_inv</c> in float32 and rounded to BF16, the scale tensors
/// are dropped, every other tensor is copied byte for byte, the shard grouping is kept, the index is rewritten, and
/// config.json loses its quantization_config.
/// </summary>
public static unsafe class Fp8ToBf16Converter
{
    public static void Convert(string inputDirectory, string outputDirectory)
    {
        if (Path.GetFullPath(inputDirectory) == Path.GetFullPath(outputDirectory))
        {
            throw new ArgumentException("the output directory must differ from the input directory");
        }

        using var checkpoint = Checkpoint.Open(inputDirectory);
        if (checkpoint.Config.Quantization is null)
        {
            throw new CheckpointException($"{inputDirectory}: config.json has no fp8 quantization_config; nothing to convert");
        }

        Directory.CreateDirectory(outputDirectory);
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long totalSize = 0;
        foreach (var (fileName, tensors) in checkpoint.Files)
        {
            var pending = new List<PendingTensor>();
            foreach (var tensor in tensors)
            {
                if (IsScaleOfFp8Weight(checkpoint, tensor.Name))
                {
                    continue;
                }

                var converted = tensor.Dtype == SafetensorsDtype.F8E4M3
                    ? Dequantized(checkpoint, tensor)
                    : new PendingTensor(tensor.Name, tensor.Dtype, tensor.Shape, stream => CopyRaw(checkpoint, tensor, stream));
                pending.Add(converted);
                weightMap[tensor.Name] = fileName;
                totalSize += converted.ByteLength;
            }

            SafetensorsWriter.Write(Path.Combine(outputDirectory, fileName), pending);
        }

        if (checkpoint.IsIndexed)
        {
            ShardedCheckpointWriter.WriteIndex(outputDirectory, totalSize, weightMap);
        }

        WriteConfigWithoutQuantization(inputDirectory, outputDirectory);
        CopyOtherFiles(inputDirectory, outputDirectory);
    }

    private static bool IsScaleOfFp8Weight(Checkpoint checkpoint, string name) =>
        name.EndsWith("_scale_inv", StringComparison.Ordinal)
        && checkpoint.Contains(name[..^"_scale_inv".Length])
        && checkpoint.Info(name[..^"_scale_inv".Length]).Dtype == SafetensorsDtype.F8E4M3;

    private static PendingTensor Dequantized(Checkpoint checkpoint, TensorInfo tensor)
    {
        if (tensor.Shape.Length != 2)
        {
            throw new CheckpointException($"tensor '{tensor.Name}' is F8_E4M3 with shape {tensor.ShapeText}; expected a matrix");
        }

        int rows = (int)tensor.Shape[0], columns = (int)tensor.Shape[1];
        return new PendingTensor(tensor.Name, SafetensorsDtype.BF16, tensor.Shape, stream =>
        {
            var weight = checkpoint.Matrix(tensor.Name, rows, columns);
            var row = new float[columns];
            for (int i = 0; i < rows; i++)
            {
                weight.DequantizeRow(i, row);
                RandomCheckpoint.WriteBFloat16(stream, row);
            }
        });
    }

    private static void CopyRaw(Checkpoint checkpoint, TensorInfo tensor, Stream stream)
    {
        byte* data = checkpoint.DataPointer(tensor.Name);
        const int Chunk = 1 << 20;
        for (long offset = 0; offset < tensor.ByteLength; offset += Chunk)
        {
            stream.Write(new ReadOnlySpan<byte>(data + offset, (int)Math.Min(Chunk, tensor.ByteLength - offset)));
        }
    }

    private static void WriteConfigWithoutQuantization(string inputDirectory, string outputDirectory)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(inputDirectory, "config.json")))!.AsObject();
        config.Remove("quantization_config");
        config["torch_dtype"] = "bfloat16";
        File.WriteAllText(Path.Combine(outputDirectory, "config.json"),
            config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void CopyOtherFiles(string inputDirectory, string outputDirectory)
    {
        foreach (string path in Directory.GetFiles(inputDirectory))
        {
            string name = Path.GetFileName(path);
            if (!name.EndsWith(".safetensors", StringComparison.Ordinal) && name != Checkpoint.IndexFileName
                && name != "config.json")
            {
                File.Copy(path, Path.Combine(outputDirectory, name), overwrite: true);
            }
        }
    }
}
