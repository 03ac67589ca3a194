namespace DeepSeekV3.Inference.Compute;

/// <summary>One sequence's block ids in a <see cref="KvCache"/>, in position order.</summary>
public sealed class KvBlockTable
{
    private readonly List<int> _blockIds = [];

    public int Count => _blockIds.Count;

    public IReadOnlyList<int> BlockIds => _blockIds;

    public int this[int index] => _blockIds[index];

    public void Append(int blockId) => _blockIds.Add(blockId);

    public void Clear() => _blockIds.Clear();
}
