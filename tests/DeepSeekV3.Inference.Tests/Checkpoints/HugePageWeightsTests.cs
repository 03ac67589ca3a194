using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;
using DeepSeekV3.Inference.Tests.Golden;

namespace DeepSeekV3.Inference.Tests.Checkpoints;

public sealed unsafe class HugePageWeightsTests
{
    private static readonly string TinyFp8 = Path.Combine(GoldenCase.Root, "tiny-fp8");

    [Fact]
    public void Arena_Copies_AreExactCacheLineAlignedAndDoNotOverlap()
    {
        // Small tensors share a chunk; 20 MB exceeds a quarter chunk and gets its own huge-page-aligned allocation.
        long[] lengths = [1, 63, 100, 5 << 20, 20 << 20, 4096, 3];
        var sources = lengths.Select((length, i) => Bytes(length, seed: i)).ToArray();
        using var arena = new HugePageArena();

        var copies = new List<(long Address, long Length)>();
        for (int i = 0; i < sources.Length; i++)
        {
            fixed (byte* source = sources[i])
            {
                byte* copy = arena.Copy(source, lengths[i]);
                Assert.True(new ReadOnlySpan<byte>(copy, (int)lengths[i]).SequenceEqual(sources[i]), $"copy {i} differs");
                Assert.Equal(0, (long)copy % 64);
                copies.Add(((long)copy, lengths[i]));
            }
        }

        Assert.Equal(0, copies[4].Address % HugePageArena.HugePageBytes);
        var byAddress = copies.OrderBy(c => c.Address).ToArray();
        for (int i = 1; i < byAddress.Length; i++)
        {
            Assert.True(byAddress[i - 1].Address + byAddress[i - 1].Length <= byAddress[i].Address, "two copies overlap");
        }

        // Every copy is still intact after the later ones were made.
        for (int i = 0; i < sources.Length; i++)
        {
            Assert.True(new ReadOnlySpan<byte>((void*)copies[i].Address, (int)lengths[i]).SequenceEqual(sources[i]), $"copy {i} was overwritten");
        }

        Assert.Equal(lengths.Sum(), arena.BytesCopied);
        Assert.Equal(0, arena.BytesReserved % HugePageArena.HugePageBytes);
        Assert.InRange(arena.BytesReserved, arena.BytesCopied, arena.BytesCopied + (64L << 20) + (2L << 20));
    }

    [Fact]
    public void Arena_AfterDispose_RefusesToCopy()
    {
        var arena = new HugePageArena();
        byte* value = stackalloc byte[1];
        arena.Copy(value, 1);
        arena.Dispose();
        nint source = (nint)value;

        Assert.Throws<ObjectDisposedException>(() => arena.Copy((byte*)source, 1));
    }

    [Fact]
    public void Checkpoint_HugePages_CopiesExactlyTheMatricesARankAsksFor()
    {
        using var mapped = Checkpoint.Open(TinyFp8);
        using var placed = OpenAsRankOfExperts0To7(TinyFp8);

        if (!HugePageArena.IsUseful)
        {
            // Not Linux, or transparent huge pages switched off: the checkpoint keeps its mapping.
            Assert.Equal(WeightMemory.Mapped, placed.WeightMemory);
            Assert.Equal(0, placed.CopiedBytes);
            return;
        }

        Assert.Equal(WeightMemory.HugePages, placed.WeightMemory);
        // Matrices (FP8 codes and their 2-D scale blocks) are copied; norms and biases are widened to float32 once and not kept.
        var copied = placed.RequestedTensors.Where(name => placed.Info(name).Shape.Length == 2).ToArray();
        Assert.Contains("model.layers.1.mlp.experts.7.down_proj.weight_scale_inv", copied);
        Assert.DoesNotContain(placed.RequestedTensors, name => name.StartsWith("model.layers.1.mlp.experts.8.", StringComparison.Ordinal));
        Assert.Equal(copied.Sum(name => placed.Info(name).ByteLength), placed.CopiedBytes);
        foreach (string name in copied)
        {
            int length = (int)placed.Info(name).ByteLength;
            byte* copy = placed.DataPointer(name);
            byte* original = mapped.DataPointer(name);
            Assert.True(copy != original);
            Assert.Equal(0, (long)copy % 64);
            Assert.True(new ReadOnlySpan<byte>(copy, length).SequenceEqual(new ReadOnlySpan<byte>(original, length)), $"{name} differs");
        }
    }

    [Fact]
    public void Checkpoint_AfterStopCopying_NewTensorsStayMappedAndCopiesStay()
    {
        using var mapped = Checkpoint.Open(TinyFp8);
        using var placed = OpenAsRankOfExperts0To7(TinyFp8);
        long copied = placed.CopiedBytes;
        placed.StopCopying();
        const string Held = "model.layers.1.mlp.experts.7.gate_proj.weight", Gained = "model.layers.1.mlp.experts.8.gate_proj.weight";

        // A server gains expert 8 by re-balancing after its load, and asks for expert 7 again.
        var gained = placed.Matrix(Gained, 48, 192);
        var held = placed.Matrix(Held, 48, 192);

        // Nothing more was copied, and the gained expert's codes and scales are read where the file is mapped.
        Assert.Equal(copied, placed.CopiedBytes);
        Assert.True(gained.Data == placed.DataPointer(Gained));
        Assert.True(gained.BlockScales == (float*)placed.DataPointer(Gained + "_scale_inv"));
        Assert.True(new ReadOnlySpan<byte>(gained.Data, 48 * 192).SequenceEqual(new ReadOnlySpan<byte>(mapped.DataPointer(Gained), 48 * 192)));
        Assert.True(held.Data == placed.DataPointer(Held));
        Assert.Equal(HugePageArena.IsUseful, held.Data != mapped.DataPointer(Held));
    }

    /// <summary>The checkpoint with huge pages, loaded as the model of an expert-parallel rank holding experts 0-7 (8-15 never asked for).</summary>
    private static Checkpoint OpenAsRankOfExperts0To7(string directory)
    {
        var placed = Checkpoint.Open(directory, WeightMemory.HugePages);
        using var backend = new CpuBackend();
        _ = new Transformer(placed, backend, WeightMap.Experts(Enumerable.Range(0, 8)));
        return placed;
    }

    private static byte[] Bytes(long length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
