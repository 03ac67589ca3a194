using System.Text.Json.Nodes;
using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Tests.Checkpoints;

/// <summary>Builders of damaged checkpoints: copies of a good one with one thing changed.</summary>
internal static class CheckpointCopy
{
    /// <summary>Copies every file of <paramref name="source"/> into <paramref name="target"/>.</summary>
    public static void Files(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string path in Directory.GetFiles(source))
        {
            string destination = Path.Combine(target, Path.GetFileName(path));
            File.Copy(path, destination, overwrite: true);
            File.SetAttributes(destination, FileAttributes.Normal);
        }
    }

    /// <summary>Rewrites the single-file checkpoint in <paramref name="directory"/>, mapping or dropping tensors.</summary>
    public static unsafe void RewriteTensors(string directory, Func<TensorInfo, TensorInfo?> map)
    {
        var pending = new List<PendingTensor>();
        var buffers = new List<byte[]>();
        using (var checkpoint = Checkpoint.Open(directory))
        {
            foreach (var (_, tensors) in checkpoint.Files)
            {
                foreach (var tensor in tensors)
                {
                    if (map(tensor) is not { } mapped)
                    {
                        continue;
                    }

                    var bytes = new ReadOnlySpan<byte>(checkpoint.DataPointer(tensor.Name), (int)tensor.ByteLength).ToArray();
                    pending.Add(new PendingTensor(mapped.Name, mapped.Dtype, mapped.Shape, s => s.Write(bytes)));
                }
            }
        }

        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), pending);
    }

    public static void EditJson(string path, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
    }
}
