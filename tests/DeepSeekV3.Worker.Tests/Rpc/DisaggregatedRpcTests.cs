using System.Net;
using DeepSeekV3.Protos.V1;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Services;
using DeepSeekV3.Worker.Rpc;
using DeepSeekV3.Worker.Serving;
using DeepSeekV3.Worker.Tests.Serving;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;

namespace DeepSeekV3.Worker.Tests.Rpc;

/// <summary>A prefill worker and a decode worker, each behind its own gRPC server, with the KV cache crossing the wire.</summary>
public sealed class DisaggregatedRpcTests : IAsyncLifetime, IDisposable
{
    private readonly EngineFixture _prefillEngine = new(new EngineOptions { KvCacheTokens = 512 });
    private readonly EngineFixture _decodeEngine = new(new EngineOptions { KvCacheTokens = 512 });
    private WebApplication _prefillServer = null!;
    private WebApplication _decodeServer = null!;
    private GrpcChannel _prefill = null!;
    private GrpcChannel _decode = null!;

    public async Task InitializeAsync()
    {
        // A 4 KiB message budget cuts every layer's rows into many chunks.
        _prefillServer = await StartAsync(app =>
        {
            new PrefillService(() => _prefillEngine.Engine, maxMessageBytes: 4096).Bind(new GrpcServiceBinder(app));
            Control(_prefillEngine.Engine, WorkerRole.Prefill).Bind(new GrpcServiceBinder(app));
        });
        _decodeServer = await StartAsync(app =>
        {
            new DecodeService(() => _decodeEngine.Engine).Bind(new GrpcServiceBinder(app));
            Control(_decodeEngine.Engine, WorkerRole.Decode).Bind(new GrpcServiceBinder(app));
        });
        _prefill = new GrpcChannel(new Uri(_prefillServer.Urls.First()));
        _decode = new GrpcChannel(new Uri(_decodeServer.Urls.First()));
    }

    public async Task DisposeAsync()
    {
        foreach (var app in new[] { _prefillServer, _decodeServer })
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _prefill.Dispose();
        _decode.Dispose();
        _prefillEngine.Dispose();
        _decodeEngine.Dispose();
    }

    [Fact]
    public async Task Generate_AcrossPrefillAndDecodeWorkers_EqualsReferenceGreedyTokens()
    {
        foreach (var (tokens, greedy) in GoldenData.Prompts("tiny-bf16"))
        {
            var header = Header(tokens, maxTokens: 9);
            var generated = new List<int>();
            Finish? finish = null;
            await foreach (var output in DisaggregatedClient.GenerateAsync(_prefill, _decode, header))
            {
                if (output.PayloadCase == DecodeOutput.PayloadOneofCase.Token)
                {
                    generated.Add(output.Token.TokenId);
                }
                else
                {
                    finish = output.Finish;
                }
            }

            Assert.Equal(greedy, generated);
            Assert.Equal(Finish.Types.Reason.Length, finish!.Reason);
            Assert.Equal(9, finish.Usage.CompletionTokens);
        }
    }

    [Fact]
    public async Task Router_WorkersGivenByDnsName_ServeGoldenTokens()
    {
        var config = DeepSeekV3.Inference.Model.ModelConfig.Load(GoldenData.Directory("tiny-bf16"));
        await using var router = new DeepSeekV3.Worker.Routing.RemoteGenerationService(config, null,
            [$"localhost:{new Uri(_prefillServer.Urls.First()).Port}"], [$"localhost:{new Uri(_decodeServer.Urls.First()).Port}"]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!router.HasWorkers)
        {
            await Task.Delay(20, timeout.Token);
        }

        var (tokens, greedy) = GoldenData.Prompts("tiny-bf16")[0];
        var generated = new List<int>();
        await foreach (var item in router.Submit(new GenerationRequest("dns", tokens, EngineFixture.Greedy(9))).ReadAllAsync(timeout.Token))
        {
            if (item.Token is { } token)
            {
                generated.Add(token.TokenId);
            }
        }

        Assert.Equal(greedy, generated);
    }

    [Fact]
    public async Task Generate_CorruptedChunk_IsRefusedWithDataLossAndNothingIsDecoded()
    {
        var header = Header([5, 6, 7, 8, 9], maxTokens: 4);
        var prefillRequest = new PrefillRequest { RequestId = header.RequestId, Sampling = header.Sampling };
        prefillRequest.PromptTokenIds.AddRange(header.PromptTokenIds);
        using var call = _decode.Start(WorkerMethods.Generate);
        await call.WriteAsync(new DecodeInput { Header = header });
        bool corrupted = false;
        await foreach (var chunk in _prefill.ServerStreamingAsync(WorkerMethods.Prefill, prefillRequest))
        {
            if (chunk.PayloadCase == PrefillChunk.PayloadOneofCase.Kv && !corrupted)
            {
                var bytes = chunk.Kv.Rows.Data.ToByteArray();
                bytes[^1] ^= 0x40;
                chunk.Kv.Rows.Data = ByteString.CopyFrom(bytes);
                corrupted = true;
            }

            await call.WriteAsync(chunk.PayloadCase == PrefillChunk.PayloadOneofCase.Kv ? new DecodeInput { Kv = chunk.Kv } : new DecodeInput { FirstToken = chunk.FirstToken });
        }

        await call.CompleteRequestsAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ReadAllAsync())
            {
            }
        });

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Contains("checksum mismatch", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_MissingLayer_IsRefusedWithDataLoss()
    {
        var header = Header([5, 6, 7], maxTokens: 4);
        var prefillRequest = new PrefillRequest { RequestId = header.RequestId, Sampling = header.Sampling };
        prefillRequest.PromptTokenIds.AddRange(header.PromptTokenIds);
        using var call = _decode.Start(WorkerMethods.Generate);
        await call.WriteAsync(new DecodeInput { Header = header });
        await foreach (var chunk in _prefill.ServerStreamingAsync(WorkerMethods.Prefill, prefillRequest))
        {
            if (chunk.PayloadCase == PrefillChunk.PayloadOneofCase.Kv && chunk.Kv.Layer == 1)
            {
                continue; // lost in transit
            }

            await call.WriteAsync(chunk.PayloadCase == PrefillChunk.PayloadOneofCase.Kv ? new DecodeInput { Kv = chunk.Kv } : new DecodeInput { FirstToken = chunk.FirstToken });
        }

        await call.CompleteRequestsAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ReadAllAsync())
            {
            }
        });

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Contains("incomplete KV transfer", error.Status.Detail, StringComparison.Ordinal);
    }

    private static ControlService Control(Engine engine, WorkerRole role)
    {
        var state = new ServingState("test");
        state.SetReady(engine);
        return new ControlService(state, role, new HealthService(), TimeProvider.System);
    }

    private static DecodeHeader Header(int[] tokens, int maxTokens)
    {
        var header = new DecodeHeader
        {
            RequestId = Guid.NewGuid().ToString("N"),
            Sampling = ProtoMapping.ToProto(EngineFixture.Greedy(maxTokens)),
        };
        header.PromptTokenIds.AddRange(tokens);
        return header;
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplication> bind)
    {
        var app = GrpcServerHost.Build(IPAddress.Loopback, 0);
        bind(app);
        await app.StartAsync();
        return app;
    }
}
