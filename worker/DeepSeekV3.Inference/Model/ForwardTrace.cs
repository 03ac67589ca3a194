namespace DeepSeekV3.Inference.Model;

/// <summary>
/// Optional capture of a forward step's intermediate tensors (debugging and golden tests only; the serving path
/// passes none and pays nothing).
/// </summary>
public sealed class ForwardTrace
{
    public float[] Embed { get; set; } = [];     // [T, hidden]
    public List<LayerTrace> Layers { get; } = [];
    public float[] FinalNorm { get; set; } = []; // [T, hidden]
}
