using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// One memory-mapped <c>.safetensors</c> file. Only the header is read eagerly; tensor bytes are paged in
/// by the OS when a kernel touches them, so a rank that never asks for a tensor never reads it.
/// Format (github.com/huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]}}</c>), then the data;
/// offsets count from the first byte after the header.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    // The reference implementation refuses headers over 100 MB; a larger length means a corrupt file.
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _dataStart;
    private bool _disposed;

    private SafetensorsFile(string path, Dictionary<string, TensorInfo> tensors, long dataOffset)
    {
        Path = path;
        Tensors = tensors;
        _mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        _view = _mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* basePointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
        _dataStart = basePointer + _view.PointerOffset + dataOffset;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>Opens and validates the header; throws <see cref="CheckpointException"/> naming the file and tensor.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: file not found");
        }

        long fileLength = new FileInfo(path).Length;
        string name = System.IO.Path.GetFileName(path);
        if (fileLength < 8)
        {
            throw new CheckpointException($"{name}: truncated file ({fileLength} bytes): no safetensors header length");
        }

        byte[] header;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            {
                throw new CheckpointException(
                    $"{name}: header length {headerLength} does not fit the file ({fileLength} bytes): truncated or not a safetensors file");
            }

            header = new byte[headerLength];
            stream.ReadExactly(header);
        }

        long dataOffset = 8 + header.Length;
        var tensors = ParseHeader(name, header, fileLength - dataOffset);
        return new SafetensorsFile(path, tensors, dataOffset);
    }

    /// <summary>The tensor's bytes in the mapped file. Valid until this file is disposed.</summary>
    public byte* GetDataPointer(TensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _dataStart + tensor.DataBegin;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    private static Dictionary<string, TensorInfo> ParseHeader(string fileName, byte[] header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{fileName}: header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{fileName}: header is not a JSON object");
            }

            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                var tensor = ParseEntry(fileName, property.Name, property.Value, dataLength);
                if (!tensors.TryAdd(tensor.Name, tensor))
                {
                    throw new CheckpointException($"{fileName}: tensor '{tensor.Name}' appears twice in the header");
                }
            }

            RejectOverlaps(fileName, tensors.Values);
            return tensors;
        }
    }

    private static TensorInfo ParseEntry(string fileName, string name, JsonElement entry, long dataLength)
    {
        string where = $"{fileName}: tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new CheckpointException($"{where}: header entry needs \"dtype\", \"shape\" and two \"data_offsets\"");
        }

        string dtypeText = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryParse(dtypeText, out var dtype))
        {
            throw new CheckpointException($"{where}: unknown dtype '{dtypeText}'");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        int axis = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out shape[axis]) || shape[axis] < 0)
            {
                throw new CheckpointException($"{where}: shape must be non-negative integers");
            }

            axis++;
        }

        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end)
            || begin < 0 || end < begin)
        {
            throw new CheckpointException($"{where}: data_offsets must be two integers with 0 <= begin <= end");
        }

        if (end > dataLength)
        {
            throw new CheckpointException(
                $"{where}: data_offsets [{begin}, {end}] run past the end of the data ({dataLength} bytes): truncated file?");
        }

        var tensor = new TensorInfo(name, dtype, shape, begin, end);
        long expectedBytes;
        try
        {
            expectedBytes = checked(tensor.ElementCount * SafetensorsDtypes.SizeInBytes(dtype));
        }
        catch (OverflowException)
        {
            throw new CheckpointException($"{where}: shape {tensor.ShapeText} is too large");
        }

        if (expectedBytes != tensor.ByteLength)
        {
            throw new CheckpointException(
                $"{where}: {dtypeText} {tensor.ShapeText} needs {expectedBytes} bytes but data_offsets span {tensor.ByteLength}");
        }

        return tensor;
    }

    private static void RejectOverlaps(string fileName, IEnumerable<TensorInfo> tensors)
    {
        TensorInfo? previous = null;
        foreach (var tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataBegin))
        {
            if (previous is not null && tensor.DataBegin < previous.DataEnd)
            {
                throw new CheckpointException(
                    $"{fileName}: tensors '{previous.Name}' and '{tensor.Name}' overlap in the data section");
            }

            previous = tensor;
        }
    }
}
