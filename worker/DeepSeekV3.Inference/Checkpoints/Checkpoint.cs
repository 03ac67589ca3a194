using System.Text.Json;
using DeepSeekV3.Inference.Compute;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Inference.Checkpoints;

/// <summary>
/// A Hugging Face checkpoint directory: config.json plus one or more memory-mapped safetensors shards, found
/// through <c>model.safetensors.index.json</c> when present. Tensors are looked up by name and handed out as
/// views into the mapped files: nothing is read until a kernel touches it, and a tensor nobody asks for
/// (another rank's expert, the MTP layer) is never read. With <see cref="WeightMemory.HugePages"/> a tensor handed out
/// as a matrix is copied at that moment into huge-page memory, and every later use sees the copy.
/// </summary>
public sealed unsafe class Checkpoint : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> _tensorFiles;
    private readonly List<SafetensorsFile> _files;
    private readonly HashSet<string> _requested = new(StringComparer.Ordinal);
    private readonly HugePageArena? _arena;
    private readonly Dictionary<string, nint> _copies = new(StringComparer.Ordinal);
    private bool _copying = true;

    private Checkpoint(string directory, ModelConfig config, List<SafetensorsFile> files,
        Dictionary<string, SafetensorsFile> tensorFiles, WeightMemory weightMemory)
    {
        Directory = directory;
        Config = config;
        _files = files;
        _tensorFiles = tensorFiles;
        _arena = weightMemory == WeightMemory.HugePages && HugePageArena.IsUseful ? new HugePageArena() : null;
    }

    public string Directory { get; }

    public ModelConfig Config { get; }

    public IReadOnlyCollection<string> TensorNames => _tensorFiles.Keys;

    /// <summary>Every tensor handed out so far (weights and their scales): what this rank actually reads.</summary>
    public IReadOnlyCollection<string> RequestedTensors => _requested;

    /// <summary>Where the weights handed out live: <see cref="WeightMemory.HugePages"/> only where it was asked for and is offered.</summary>
    public WeightMemory WeightMemory => _arena is null ? WeightMemory.Mapped : WeightMemory.HugePages;

    /// <summary>Bytes copied into huge-page memory so far (0 when mapped).</summary>
    public long CopiedBytes => _arena?.BytesCopied ?? 0;

    /// <summary>
    /// From now on a tensor handed out for the first time stays mapped; those copied so far stay copied. A server calls
    /// this once its model is loaded: experts a rank gains while serving (re-balancing) would otherwise each add a
    /// private copy that is never freed (a dropped expert's weights may still be in use by a step in flight), until a
    /// rank that had held every expert at some point held the whole model.
    /// </summary>
    public void StopCopying()
    {
        lock (_copies)
        {
            _copying = false;
        }
    }

    public static Checkpoint Open(string directory, WeightMemory weightMemory = WeightMemory.Mapped)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new CheckpointException($"{directory}: model directory not found");
        }

        var config = ModelConfig.Load(directory);
        var files = new List<SafetensorsFile>();
        try
        {
            var tensorFiles = File.Exists(Path.Combine(directory, IndexFileName))
                ? OpenIndexed(directory, files)
                : OpenUnindexed(directory, files);
            return new Checkpoint(directory, config, files, tensorFiles, weightMemory);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    public bool Contains(string name) => _tensorFiles.ContainsKey(name);

    public TensorInfo Info(string name) => Locate(name).Tensor;

    /// <summary>The shard files, each with its tensors in data order: the grouping a rewrite should keep.</summary>
    public IReadOnlyList<(string FileName, IReadOnlyList<TensorInfo> Tensors)> Files =>
        [.. _files.Select(f => (f.FileName, (IReadOnlyList<TensorInfo>)[.. f.Tensors.Values
            .Where(t => _tensorFiles.TryGetValue(t.Name, out var owner) && owner == f)
            .OrderBy(t => t.DataBegin)]))];

    public bool IsIndexed => File.Exists(Path.Combine(Directory, IndexFileName));

    /// <summary>
    /// The tensor's raw stored bytes: its huge-page copy when a matrix of it was handed out, else the mapped file.
    /// Valid while this checkpoint is open.
    /// </summary>
    public byte* DataPointer(string name)
    {
        var (file, tensor) = Locate(name);
        lock (_copies)
        {
            return _copies.TryGetValue(name, out nint copy) ? (byte*)copy : file.GetDataPointer(tensor);
        }
    }

    /// <summary>
    /// A [rows, columns] projection weight. FP8 tensors come with their <c>weight_scale_inv</c> blocks and are only
    /// accepted when config.json declares FP8 quantization.
    /// </summary>
    public WeightMatrix Matrix(string name, int rows, int columns)
    {
        var (file, tensor) = Locate(name);
        RequireShape(file, tensor, rows, columns);
        switch (tensor.Dtype)
        {
            case SafetensorsDtype.F32:
                return new WeightMatrix(WeightFormat.F32, rows, columns, Placed(file, tensor));
            case SafetensorsDtype.BF16:
                return new WeightMatrix(WeightFormat.BF16, rows, columns, Placed(file, tensor));
            case SafetensorsDtype.F8E4M3:
                return Fp8Matrix(file, tensor, rows, columns);
            default:
                throw new CheckpointException(
                    $"{file.FileName}: tensor '{name}' is {SafetensorsDtypes.Name(tensor.Dtype)}; weights must be F32, BF16 or F8_E4M3");
        }
    }

    /// <summary>A [length] vector (norm weights, gate bias), widened to float32.</summary>
    public float[] Vector(string name, int length)
    {
        var (file, tensor) = Locate(name);
        if (tensor.Shape.Length != 1 || tensor.Shape[0] != length)
        {
            throw new CheckpointException(
                $"{file.FileName}: tensor '{name}' has shape {tensor.ShapeText}; config.json implies [{length}]");
        }

        var values = new float[length];
        byte* data = file.GetDataPointer(tensor);
        switch (tensor.Dtype)
        {
            case SafetensorsDtype.F32:
                new ReadOnlySpan<float>(data, length).CopyTo(values);
                break;
            case SafetensorsDtype.BF16:
                var bits = new ReadOnlySpan<ushort>(data, length);
                for (int i = 0; i < length; i++)
                {
                    values[i] = BFloat16.ToSingle(bits[i]);
                }

                break;
            default:
                throw new CheckpointException($"{file.FileName}: tensor '{name}' is {SafetensorsDtypes.Name(tensor.Dtype)}; expected F32 or BF16");
        }

        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                throw new CheckpointException($"{file.FileName}: tensor '{name}' contains {v}");
            }
        }

        return values;
    }

    public void Dispose()
    {
        _files.ForEach(f => f.Dispose());
        _arena?.Dispose();
    }

    private WeightMatrix Fp8Matrix(SafetensorsFile file, TensorInfo tensor, int rows, int columns)
    {
        if (Config.Quantization is not { } quantization)
        {
            throw new CheckpointException(
                $"{file.FileName}: tensor '{tensor.Name}' is F8_E4M3 but config.json has no fp8 quantization_config");
        }

        string scaleName = tensor.Name + "_scale_inv";
        if (!_tensorFiles.ContainsKey(scaleName))
        {
            throw new CheckpointException(
                $"{file.FileName}: FP8 tensor '{tensor.Name}' has no '{scaleName}' in the checkpoint");
        }

        var (scaleFile, scale) = Locate(scaleName);
        int scaleRows = (rows + quantization.BlockRows - 1) / quantization.BlockRows;
        int scaleColumns = (columns + quantization.BlockColumns - 1) / quantization.BlockColumns;
        if (scale.Dtype != SafetensorsDtype.F32)
        {
            throw new CheckpointException($"{scaleFile.FileName}: tensor '{scaleName}' is {SafetensorsDtypes.Name(scale.Dtype)}; expected F32");
        }

        RequireShape(scaleFile, scale, scaleRows, scaleColumns);
        var scales = new ReadOnlySpan<float>(scaleFile.GetDataPointer(scale), scaleRows * scaleColumns);
        foreach (float s in scales)
        {
            if (!float.IsFinite(s) || s <= 0)
            {
                throw new CheckpointException($"{scaleFile.FileName}: tensor '{scaleName}' has a scale of {s}");
            }
        }

        return new WeightMatrix(WeightFormat.F8E4M3Blocked, rows, columns, Placed(file, tensor),
            (float*)Placed(scaleFile, scale), quantization.BlockRows, quantization.BlockColumns);
    }

    /// <summary>Where a weight's bytes are read from: the mapped file, or (huge pages) its copy, made on first request.</summary>
    private byte* Placed(SafetensorsFile file, TensorInfo tensor)
    {
        byte* mapped = file.GetDataPointer(tensor);
        if (_arena is null)
        {
            return mapped;
        }

        lock (_copies)
        {
            if (!_copies.TryGetValue(tensor.Name, out nint copy))
            {
                if (!_copying)
                {
                    return mapped;
                }

                copy = (nint)_arena.Copy(mapped, tensor.ByteLength);
                _copies[tensor.Name] = copy;
            }

            return (byte*)copy;
        }
    }

    private (SafetensorsFile File, TensorInfo Tensor) Locate(string name)
    {
        if (!_tensorFiles.TryGetValue(name, out var file))
        {
            string where = File.Exists(Path.Combine(Directory, IndexFileName))
                ? IndexFileName
                : string.Join(", ", _files.Select(f => f.FileName));
            throw new CheckpointException($"{Directory}: tensor '{name}' is missing (looked in {where})");
        }

        _requested.Add(name);
        return (file, file.Tensors[name]);
    }

    private static void RequireShape(SafetensorsFile file, TensorInfo tensor, int rows, int columns)
    {
        if (tensor.Shape.Length != 2 || tensor.Shape[0] != rows || tensor.Shape[1] != columns)
        {
            throw new CheckpointException(
                $"{file.FileName}: tensor '{tensor.Name}' has shape {tensor.ShapeText}; config.json implies [{rows}, {columns}]");
        }
    }

    private static Dictionary<string, SafetensorsFile> OpenIndexed(string directory, List<SafetensorsFile> files)
    {
        var weightMap = ReadWeightMap(directory);
        var byFileName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var tensorFiles = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (var (tensorName, fileName) in weightMap)
        {
            if (!byFileName.TryGetValue(fileName, out var file))
            {
                string path = Path.Combine(directory, fileName);
                if (fileName.Contains('/') || fileName.Contains('\\') || !File.Exists(path))
                {
                    throw new CheckpointException(
                        $"{IndexFileName}: tensor '{tensorName}' is mapped to shard '{fileName}', which does not exist");
                }

                file = SafetensorsFile.Open(path);
                files.Add(file);
                byFileName[fileName] = file;
            }

            if (!file.Tensors.ContainsKey(tensorName))
            {
                throw new CheckpointException(
                    $"{IndexFileName}: tensor '{tensorName}' is mapped to '{fileName}', which does not contain it");
            }

            tensorFiles[tensorName] = file;
        }

        return tensorFiles;
    }

    private static Dictionary<string, string> ReadWeightMap(string directory)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, IndexFileName)));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{IndexFileName}: no \"weight_map\" object");
            }

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw new CheckpointException($"{IndexFileName}: weight_map entry '{entry.Name}' is not a file name");
                }

                weightMap[entry.Name] = entry.Value.GetString()!;
            }

            return weightMap;
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{IndexFileName}: not valid JSON: {e.Message}", e);
        }
    }

    private static Dictionary<string, SafetensorsFile> OpenUnindexed(string directory, List<SafetensorsFile> files)
    {
        var paths = System.IO.Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToArray();
        if (paths.Length == 0)
        {
            throw new CheckpointException($"{directory}: no *.safetensors files and no {IndexFileName}");
        }

        var tensorFiles = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            var file = SafetensorsFile.Open(path);
            files.Add(file);
            foreach (string name in file.Tensors.Keys)
            {
                if (!tensorFiles.TryAdd(name, file))
                {
                    throw new CheckpointException(
                        $"{file.FileName}: tensor '{name}' also appears in {tensorFiles[name].FileName}; add an index to choose");
                }
            }
        }

        return tensorFiles;
    }
}
