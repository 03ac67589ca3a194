using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tests.Golden;

namespace DeepSeekV3.Inference.Tests.Checkpoints;

public sealed class CheckpointTests
{
    private const string OProj = "model.layers.1.self_attn.o_proj.weight";

    [Fact]
    public void Open_ShardedFp8Golden_FindsEveryTensorThroughTheIndex()
    {
        using var checkpoint = Checkpoint.Open(Path.Combine(GoldenCase.Root, "tiny-fp8"));
        const string Split = "model.layers.1.mlp.experts.15.down_proj.weight";

        Assert.True(checkpoint.IsIndexed);
        Assert.NotEqual(FileOf(checkpoint, Split), FileOf(checkpoint, Split + "_scale_inv"));
        Assert.Equal(SafetensorsDtype.F8E4M3, checkpoint.Info(Split).Dtype);
        // The MTP layer is present and tolerated: the model loads three layers and never asks for layer 3.
        Assert.True(checkpoint.Contains("model.layers.3.eh_proj.weight"));
        using var backend = new CpuBackend();
        Assert.Equal(3, new Transformer(checkpoint, backend).Config.NumHiddenLayers);
    }

    [Fact]
    public void Transformer_MissingTensor_NamesTheTensor()
    {
        using var directory = TinyBf16();
        CheckpointCopy.RewriteTensors(directory.Path, t => t.Name == OProj ? null : t);

        var error = Assert.Throws<CheckpointException>(() => Load(directory.Path));

        Assert.Contains($"'{OProj}' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transformer_ShapeNotMatchingConfig_NamesTensorAndShapes()
    {
        using var directory = TinyBf16();
        CheckpointCopy.EditJson(directory.File("config.json"), config => config["q_lora_rank"] = 80);

        var error = Assert.Throws<CheckpointException>(() => Load(directory.Path));

        Assert.Contains("model.safetensors: tensor 'model.layers.0.self_attn.q_a_proj.weight' has shape [96, 192]",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("config.json implies [80, 192]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transformer_UnsupportedWeightDtype_NamesTensorAndDtype()
    {
        using var directory = TinyBf16();
        CheckpointCopy.RewriteTensors(directory.Path, t => t.Name == OProj ? t with { Dtype = SafetensorsDtype.F16 } : t);

        var error = Assert.Throws<CheckpointException>(() => Load(directory.Path));

        Assert.Contains($"tensor '{OProj}' is F16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transformer_Fp8WeightsWithoutQuantizationConfig_AreRejected()
    {
        using var directory = new TempDirectory();
        CheckpointCopy.Files(Path.Combine(GoldenCase.Root, "tiny-fp8"), directory.Path);
        CheckpointCopy.EditJson(directory.File("config.json"), config => config.Remove("quantization_config"));

        var error = Assert.Throws<CheckpointException>(() => Load(directory.Path));

        Assert.Contains("is F8_E4M3 but config.json has no fp8 quantization_config", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_IndexNamingMissingShard_NamesIndexAndShard()
    {
        using var directory = new TempDirectory();
        CheckpointCopy.Files(Path.Combine(GoldenCase.Root, "tiny-fp8"), directory.Path);
        File.Delete(directory.File("model-00002-of-00002.safetensors"));

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Open(directory.Path));

        Assert.Contains("model.safetensors.index.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("'model-00002-of-00002.safetensors', which does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_IndexMappingTensorToWrongShard_IsRejected()
    {
        using var directory = new TempDirectory();
        CheckpointCopy.Files(Path.Combine(GoldenCase.Root, "tiny-fp8"), directory.Path);
        CheckpointCopy.EditJson(directory.File(Checkpoint.IndexFileName), index =>
            index["weight_map"]!["lm_head.weight"] = "model-00001-of-00002.safetensors");

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Open(directory.Path));

        Assert.Contains("'lm_head.weight' is mapped to 'model-00001-of-00002.safetensors', which does not contain it",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transformer_Fp8WeightWithoutScale_NamesTheScale()
    {
        using var directory = new TempDirectory();
        CheckpointCopy.Files(Path.Combine(GoldenCase.Root, "tiny-fp8"), directory.Path);
        CheckpointCopy.EditJson(directory.File(Checkpoint.IndexFileName), index =>
            index["weight_map"]!.AsObject().Remove(OProj + "_scale_inv"));

        var error = Assert.Throws<CheckpointException>(() => Load(directory.Path));

        Assert.Contains($"has no '{OProj}_scale_inv'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transformer_ExpertParallelRank_ReadsOnlyItsOwnExperts()
    {
        using var directory = TinyBf16();
        // Experts 8..15 of every layer are gone: a rank owning 0..7 must not notice, the whole model must.
        CheckpointCopy.RewriteTensors(directory.Path, t => IsExpertAtLeast(t.Name, 8) ? null : t);

        using var checkpoint = Checkpoint.Open(directory.Path);
        using var backend = new CpuBackend();
        var rank = new Transformer(checkpoint, backend, WeightMap.Experts(Enumerable.Range(0, 8)));
        var error = Assert.Throws<CheckpointException>(() => new Transformer(checkpoint, backend));

        Assert.True(rank.StoredBytes > 0);
        Assert.Contains("model.layers.1.mlp.experts.8.gate_proj.weight' is missing", error.Message, StringComparison.Ordinal);
    }

    private static bool IsExpertAtLeast(string name, int first)
    {
        const string Marker = ".mlp.experts.";
        int at = name.IndexOf(Marker, StringComparison.Ordinal);
        return at >= 0 && int.Parse(name.AsSpan(at + Marker.Length).ToString().Split('.')[0],
            System.Globalization.CultureInfo.InvariantCulture) >= first;
    }

    private static string FileOf(Checkpoint checkpoint, string name) =>
        checkpoint.Files.Single(f => f.Tensors.Any(t => t.Name == name)).FileName;

    private static TempDirectory TinyBf16()
    {
        var directory = new TempDirectory();
        RandomCheckpoint.Write(directory.Path, ModelPresets.Tiny, fp8: false, shards: 1, seed: 3);
        return directory;
    }

    private static void Load(string directory)
    {
        using var checkpoint = Checkpoint.Open(directory);
        using var backend = new CpuBackend();
        _ = new Transformer(checkpoint, backend);
    }
}
