namespace DeepSeekV3.Operator;

/// <summary>Entry point of deepseek-operator; the run/crds/render/manifests commands are not wired yet.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: deepseek-operator (run | crds --out DIR | render -f FILE | manifests) — not implemented yet");
        return args.Length == 0 ? 2 : 1;
    }
}
