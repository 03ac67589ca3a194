namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// One product of a grouped linear: y[n, Rows] = x[n, W.Columns] · W[RowStart .. RowStart + Rows)ᵀ (the whole weight
/// unless a row slice is given), on buffers the caller keeps pinned for the duration of the call. A gated product
/// (<see cref="SiluGated"/>) is an MLP's first half for one token: y = silu(x · W_gateᵀ) ⊙ (x · W_upᵀ).
/// </summary>
public readonly unsafe struct LinearProduct(WeightMatrix weight, int rowStart, int rows, float* x, int n, float* y)
{
    public LinearProduct(WeightMatrix weight, float* x, int n, float* y)
        : this(weight, 0, weight.Rows, x, n, y)
    {
    }

    /// <summary>
    /// y[gate.Rows] = silu(gate · x) ⊙ (up · x) for one token x[gate.Columns]: a task reads its rows of the two matrices
    /// side by side and applies the activation to them itself (<see cref="LinearRows.ComputeSiluGated"/>).
    /// </summary>
    public static LinearProduct SiluGated(WeightMatrix gate, WeightMatrix up, float* x, float* y)
    {
        if (up.Rows != gate.Rows || up.Columns != gate.Columns || up.Format != gate.Format)
        {
            throw new ArgumentException($"up [{up.Rows}, {up.Columns}] {up.Format} does not match gate [{gate.Rows}, {gate.Columns}] {gate.Format}",
                nameof(up));
        }

        return new LinearProduct(gate, x, 1, y) { Up = up };
    }

    public WeightMatrix Weight { get; } = weight;

    /// <summary>The up projection of a gated product (<see cref="SiluGated"/>); no data otherwise.</summary>
    public WeightMatrix Up { get; private init; }

    public bool IsGated => Up.Data != null;

    public int RowStart { get; } = rowStart;

    public int Rows { get; } = rows;

    public float* X { get; } = x;

    public int N { get; } = n;

    public float* Y { get; } = y;
}
