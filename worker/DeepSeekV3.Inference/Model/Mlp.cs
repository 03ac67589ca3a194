using DeepSeekV3.Inference.Checkpoints;
using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py <c>MLP</c> / <c>Expert</c>: down_proj(silu(gate_proj(x)) · up_proj(x)). Used for the dense layers, every
/// routed expert and the shared experts; each has its own contiguous weights so one expert is one read.
/// </summary>
public sealed class Mlp
{
    private readonly WeightMatrix _gateProj; // w1 [inter, hidden]
    private readonly WeightMatrix _upProj;   // w3 [inter, hidden]
    private readonly WeightMatrix _downProj; // w2 [hidden, inter]

    public Mlp(Checkpoint checkpoint, string prefix, int hidden, int inter)
    {
        _gateProj = checkpoint.Matrix($"{prefix}.gate_proj.weight", inter, hidden);
        _upProj = checkpoint.Matrix($"{prefix}.up_proj.weight", inter, hidden);
        _downProj = checkpoint.Matrix($"{prefix}.down_proj.weight", hidden, inter);
    }

    public int Inter => _gateProj.Rows;

    public long MultiplyAddsPerToken => _gateProj.Elements + _upProj.Elements + _downProj.Elements;

    public long StoredBytes => _gateProj.StoredBytes + _upProj.StoredBytes + _downProj.StoredBytes;

    /// <summary>The gate_proj and up_proj products of x[n, hidden] into gate/up [n, inter], for a grouped dispatch.</summary>
    public unsafe void AppendGateUp(Span<LinearProduct> products, ref int count, float* x, int n, float* gate, float* up)
    {
        products[count++] = new LinearProduct(_gateProj, x, n, gate);
        products[count++] = new LinearProduct(_upProj, x, n, up);
    }

    /// <summary>
    /// activation[inter] = silu(gate_proj(x)) · up_proj(x) for one token x[hidden], as one gated product (the two
    /// projections read side by side, the activation applied by the tasks), for a grouped dispatch.
    /// </summary>
    public unsafe void AppendSiluGated(Span<LinearProduct> products, ref int count, float* x, float* activation) =>
        products[count++] = LinearProduct.SiluGated(_gateProj, _upProj, x, activation);

    /// <summary>The down_proj product of activation[n, inter] into y[n, hidden], for a grouped dispatch.</summary>
    public unsafe void AppendDown(Span<LinearProduct> products, ref int count, float* activation, int n, float* y) =>
        products[count++] = new LinearProduct(_downProj, activation, n, y);

    /// <summary>y[n, hidden] = MLP(x[n, hidden]), with s.MlpGate/s.MlpUp as scratch.</summary>
    public unsafe void Forward(IComputeBackend backend, RunState s, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        int inter = Inter;
        if (n == 1)
        {
            // Batch-1 decode: gate and up as one gated product (LinearRows.ComputeSiluGated).
            fixed (float* xPointer = x)
            fixed (float* activation = s.MlpGate)
            {
                backend.LinearGroup([LinearProduct.SiluGated(_gateProj, _upProj, xPointer, activation)]);
            }

            backend.Linear(s.MlpGate.AsSpan(0, inter), 1, _downProj, 0, _downProj.Rows, y);
            return;
        }

        var gate = s.MlpGate.AsSpan(0, n * inter);
        var up = s.MlpUp.AsSpan(0, n * inter);
        backend.Linear(x, n, _gateProj, 0, inter, gate);
        backend.Linear(x, n, _upProj, 0, inter, up);
        backend.SiluMultiply(gate, up);
        backend.Linear(gate, n, _downProj, 0, _downProj.Rows, y);
    }
}
