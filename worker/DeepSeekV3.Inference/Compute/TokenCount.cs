namespace DeepSeekV3.Inference.Compute;

/// <summary>
/// A pass's token count as a type, so a multi-token panel kernel is compiled once per count: the JIT specializes generic
/// methods for each struct argument and folds <see cref="Count"/> to a constant, dropping the multiply-adds of the tokens a
/// pass does not have (where a runtime count made them multiply a row of zeros: a pass of 3 cost as much as one of 4).
/// </summary>
internal interface ITokenCount
{
    static abstract int Count { get; }
}

internal readonly struct OneToken : ITokenCount
{
    public static int Count => 1;
}

internal readonly struct TwoTokens : ITokenCount
{
    public static int Count => 2;
}

internal readonly struct ThreeTokens : ITokenCount
{
    public static int Count => 3;
}

internal readonly struct FourTokens : ITokenCount
{
    public static int Count => 4;
}

internal readonly struct FiveTokens : ITokenCount
{
    public static int Count => 5;
}

internal readonly struct SixTokens : ITokenCount
{
    public static int Count => 6;
}
