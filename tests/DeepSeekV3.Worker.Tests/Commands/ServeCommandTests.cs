using DeepSeekV3.Worker.Commands;

namespace DeepSeekV3.Worker.Tests.Commands;

public sealed class ServeCommandTests
{
    [Fact]
    public void Parse_AllOptions_FillServeOptions()
    {
        var options = ServeCommand.Parse(["--role", "combined", "--model", "/m", "--port", "9000", "--host", "0.0.0.0",
            "--served-model-name", "deepseek-v3", "--api-key", "a", "--api-key", "b", "--kv-cache-mib", "64",
            "--max-batch-tokens", "256", "--max-running", "8", "--max-queue", "4", "--no-prefix-cache"]);

        Assert.Equal("/m", options.ModelDirectory);
        Assert.Equal(9000, options.Port);
        Assert.Equal("0.0.0.0", options.Host);
        Assert.Equal("deepseek-v3", options.ModelName);
        Assert.Equal(["a", "b"], options.ApiKeys);
        Assert.Equal(64L * 1024 * 1024, options.KvCacheBytes);
        Assert.Equal(256, options.Engine.MaxBatchTokens);
        Assert.Equal(8, options.Engine.MaxRunningSequences);
        Assert.Equal(4, options.Engine.MaxWaitingRequests);
        Assert.False(options.Engine.EnablePrefixCache);
    }

    [Fact]
    public void Parse_RouterWithPolicyAndRevision_FillsThem()
    {
        var options = ServeCommand.Parse(["--role", "router", "--model", "/m", "--prefill", "p:1", "--decode", "d:1",
            "--routing-policy", "round-robin", "--revision", "5f7c"]);

        Assert.Equal(DeepSeekV3.Worker.Routing.RoutingPolicy.RoundRobin, options.RoutingPolicy);
        Assert.Equal("5f7c", options.Revision);
    }

    [Theory]
    [InlineData(new[] { "--model", "/m", "--role", "router" }, "needs at least one --prefill and one --decode")]
    [InlineData(new[] { "--model", "/m", "--role", "boss" }, "--role must be combined, prefill, decode or router")]
    [InlineData(new[] { "--model", "/m", "--prefill", "a:1" }, "only --role router takes them")]
    [InlineData(new[] { "--model", "/m", "--host", "localhost" }, "--host must be an IP address")]
    [InlineData(new[] { "--model", "/m", "--kv-cache-tokens", "64", "--kv-cache-mib", "1" }, "not both")]
    [InlineData(new[] { "--port", "80" }, "--model is required")]
    [InlineData(new[] { "--model", "/m", "--routing-policy", "random" }, "--routing-policy must be cache-aware, least-loaded or round-robin")]
    public void Parse_Bad_ThrowsUsageNamingTheProblem(string[] arguments, string message)
    {
        var error = Assert.Throws<UsageException>(() => ServeCommand.Parse(arguments));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
