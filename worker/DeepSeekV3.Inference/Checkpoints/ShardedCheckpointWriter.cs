using System.Text.Json;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// Writes tensors as one <c>model.safetensors</c> or as N shards named like Hugging Face's
/// (<c>model-00001-of-00002.safetensors</c>) with a <c>model.safetensors.index.json</c> weight map.
/// </summary>
public static class ShardedCheckpointWriter
{
    public static void Write(string directory, IReadOnlyList<PendingTensor> tensors, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        Directory.CreateDirectory(directory);
        if (shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
            return;
        }

        // Consecutive tensors fill a shard up to an equal share of the bytes, the way save_pretrained splits.
        long total = tensors.Sum(t => t.ByteLength);
        long target = (total + shards - 1) / shards;
        var groups = Enumerable.Range(0, shards).Select(_ => new List<PendingTensor>()).ToArray();
        int shard = 0;
        long filled = 0;
        foreach (var tensor in tensors)
        {
            if (filled > 0 && filled + tensor.ByteLength > target && shard < shards - 1)
            {
                shard++;
                filled = 0;
            }

            groups[shard].Add(tensor);
            filled += tensor.ByteLength;
        }

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards; i++)
        {
            string fileName = $"model-{i + 1:D5}-of-{shards:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(directory, fileName), groups[i]);
            foreach (var tensor in groups[i])
            {
                weightMap[tensor.Name] = fileName;
            }
        }

        WriteIndex(directory, total, weightMap);
    }

    public static void WriteIndex(string directory, long totalSize, IReadOnlyDictionary<string, string> weightMap)
    {
        using var stream = File.Create(Path.Combine(directory, Checkpoint.IndexFileName));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", totalSize);
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (name, file) in weightMap.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            json.WriteString(name, file);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
