using System.Buffers.Binary;
using System.Text;
using DeepSeekV3.Inference.Checkpoints;

namespace DeepSeekV3.Inference.Tests.Checkpoints;

public sealed class SafetensorsFileTests
{
    [Fact]
    public unsafe void Open_WrittenFile_ReadsHeaderAndData()
    {
        using var directory = new TempDirectory();
        string path = directory.File("a.safetensors");
        SafetensorsWriter.Write(path,
        [
            new PendingTensor("x", SafetensorsDtype.F32, [2, 3], s => s.Write(FloatBytes(1, 2, 3, 4, 5, 6))),
            new PendingTensor("y", SafetensorsDtype.U8, [3], s => s.Write([7, 8, 9])),
        ]);

        using var file = SafetensorsFile.Open(path);

        Assert.Equal(["x", "y"], file.Tensors.Keys.Order());
        Assert.Equal([2L, 3L], file.Tensors["x"].Shape);
        Assert.Equal(6f, new ReadOnlySpan<float>(file.GetDataPointer(file.Tensors["x"]), 6)[5]);
        Assert.Equal(9, file.GetDataPointer(file.Tensors["y"])[2]);
        Assert.Equal(0, (8 + BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path))) % 64); // data cache-line aligned
        Assert.Equal(0, (long)file.GetDataPointer(file.Tensors["x"]) % 64); // the mapping starts on a page
    }

    [Fact]
    public void Open_TruncatedData_NamesFileAndTensor()
    {
        using var directory = new TempDirectory();
        string path = WriteValid(directory);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("a.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("'y'", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Open_FileShorterThanLengthPrefix_IsRejected(int length)
    {
        using var directory = new TempDirectory();
        string path = directory.File("a.safetensors");
        File.WriteAllBytes(path, new byte[length]);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_HeaderLengthBeyondFile_IsRejected()
    {
        using var directory = new TempDirectory();
        string path = directory.File("a.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1_000_000);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("header length 1000000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"x\": {\"dtype\": \"F32\"", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [2]}}", "'x'")]
    [InlineData("{\"x\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 8]}}", "unknown dtype 'Q4'")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", "non-negative")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", "begin <= end")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 64]}}", "run past the end")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", "needs 12 bytes but data_offsets span 8")]
    [InlineData("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"y\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", "overlap")]
    public void Open_BadHeader_GivesClearError(string header, string expected)
    {
        using var directory = new TempDirectory();
        string path = directory.File("bad.safetensors");
        WriteRaw(path, header, dataBytes: 16);

        var error = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));

        Assert.Contains("bad.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static string WriteValid(TempDirectory directory)
    {
        string path = directory.File("a.safetensors");
        SafetensorsWriter.Write(path,
        [
            new PendingTensor("x", SafetensorsDtype.F32, [2], s => s.Write(FloatBytes(1, 2))),
            new PendingTensor("y", SafetensorsDtype.F32, [2], s => s.Write(FloatBytes(3, 4))),
        ]);
        return path;
    }

    private static void WriteRaw(string path, string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }

    private static byte[] FloatBytes(params float[] values) =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
