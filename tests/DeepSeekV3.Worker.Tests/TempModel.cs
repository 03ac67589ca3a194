using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Tests;

/// <summary>A freshly generated tiny-preset checkpoint (FP8, 2 shards) in a temp directory, deleted afterwards.</summary>
internal sealed class TempModel : IDisposable
{
    public TempModel(bool fp8 = true)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsv3-test-models", Guid.NewGuid().ToString("N"));
        RandomCheckpoint.Write(Path, ModelPresets.Tiny, fp8, shards: 2, seed: 1);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mapping may still be closing; the temp folder is cleaned by the OS.
        }
    }
}
