using DeepSeekV3.Wire.Grpc;

namespace DeepSeekV3.Wire.Tests.Interop;

/// <summary>The standard interop cases between our transport and Debian's python3-grpcio (C-core), both directions.</summary>
public sealed class InteropTests(OurServerFixture ours, PythonServerFixture python)
    : IClassFixture<OurServerFixture>, IClassFixture<PythonServerFixture>
{
    public static TheoryData<string> Cases => [.. InteropClient.Cases];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OurClient_OurServer_Passes(string testCase)
    {
        using var channel = new GrpcChannel(ours.Address);
        await InteropClient.RunAsync(channel, testCase);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task GrpcioClient_OurServer_Passes(string testCase)
    {
        var (exitCode, output) = await PythonPeer.RunAsync("interop_client.py", ours.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), testCase);

        Assert.True(exitCode == 0, $"grpcio client, case {testCase}: {output}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OurClient_GrpcioServer_Passes(string testCase)
    {
        using var channel = new GrpcChannel(python.Address);
        await InteropClient.RunAsync(channel, testCase);
    }
}
