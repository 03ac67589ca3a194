using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Tests.Interop;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Testing;

namespace DeepSeekV3.Wire.Tests.Grpc;

/// <summary>Bad input and failures over real HTTP/2: each gets the right status, and the server keeps serving.</summary>
public sealed class TransportTests(OurServerFixture server) : IClassFixture<OurServerFixture>
{
    [Fact]
    public async Task Request_WrongContentType_Is415()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/grpc.testing.TestService/EmptyCall"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Request_TruncatedMessage_IsInternal()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/grpc.testing.TestService/UnaryCall"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // A header announcing 10 bytes, then the stream ends after 2.
            Content = new ByteArrayContent([0, 0, 0, 0, 10, 1, 2]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } },
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        string? status = response.Headers.TryGetValues("grpc-status", out var headerValues) ? headerValues.First()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var trailerValues) ? trailerValues.First() : null;
        Assert.Equal("13", status);
    }

    [Fact]
    public async Task Request_LargerThanServerLimit_IsResourceExhausted_AndServerStillServes()
    {
        using var channel = new GrpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServiceMethods.UnaryCall,
            new SimpleRequest { Payload = new Payload { Body = ByteString.CopyFrom(new byte[5 * 1024 * 1024]) } }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(new Empty(), await channel.UnaryAsync(TestServiceMethods.EmptyCall, new Empty()));
    }

    [Fact]
    public async Task Response_LargerThanClientLimit_IsResourceExhausted()
    {
        using var channel = new GrpcChannel(server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseSize = 5000 }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Request_GzipCompressed_IsAccepted()
    {
        using var channel = new GrpcChannel(server.Address, new GrpcChannelOptions { CompressRequests = true });

        var response = await channel.UnaryAsync(TestServiceMethods.UnaryCall,
            new SimpleRequest { ResponseSize = 10, Payload = new Payload { Body = ByteString.CopyFrom(new byte[100_000]) } });

        Assert.Equal(10, response.Payload.Body.Length);
    }

    [Fact]
    public async Task Handler_Throws_IsUnknownWithTheReason()
    {
        using var channel = new GrpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(OurServerFixture.FaultyMethod, new Empty()));

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.Contains("the handler broke", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_VanishesMidStream_ServerKeepsServing()
    {
        using var channel = new GrpcChannel(server.Address);
        for (int i = 0; i < 20; i++)
        {
            var call = channel.Start(TestServiceMethods.FullDuplexCall);
            var request = new StreamingOutputCallRequest();
            request.ResponseParameters.Add(new ResponseParameters { Size = 100 });
            await call.WriteAsync(request);
            var responses = call.ReadAllAsync().GetAsyncEnumerator();
            Assert.True(await responses.MoveNextAsync());
            call.Dispose(); // RST_STREAM mid-call, requests never completed
        }

        Assert.Equal(new Empty(), await channel.UnaryAsync(TestServiceMethods.EmptyCall, new Empty()));
    }

    [Fact]
    public async Task Server_VanishesMidStream_ClientGetsUnavailable()
    {
        using var process = Process.Start(PythonPeer.StartInfo("interop_server.py", "--lifetime", "60"))!;
        string? line = await process.StandardOutput.ReadLineAsync();
        int port = int.Parse(line!, CultureInfo.InvariantCulture);
        using var channel = new GrpcChannel(new Uri($"http://127.0.0.1:{port}"));
        var request = new StreamingOutputCallRequest();
        for (int i = 0; i < 50; i++)
        {
            request.ResponseParameters.Add(new ResponseParameters { Size = 10, IntervalUs = 100_000 });
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in channel.ServerStreamingAsync(TestServiceMethods.StreamingOutputCall, request))
            {
                process.Kill(entireProcessTree: true); // the server dies after the first message
            }
        });

        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
    }

    [Fact]
    public async Task Health_CheckAndWatch_ReportStatusChanges()
    {
        using var channel = new GrpcChannel(server.Address);
        server.Health.SetStatus("deepseekv3.v1.Decode", HealthCheckResponse.Types.ServingStatus.NotServing);

        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(HealthService.Check, new HealthCheckRequest { Service = "nope" }));
        using var call = channel.Start(HealthService.Watch);
        await call.WriteAsync(new HealthCheckRequest { Service = "deepseekv3.v1.Decode" });
        await call.CompleteRequestsAsync();
        var updates = call.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync());
        var first = updates.Current.Status;
        server.Health.SetStatus("deepseekv3.v1.Decode", HealthCheckResponse.Types.ServingStatus.Serving);
        Assert.True(await updates.MoveNextAsync());

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, first);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, updates.Current.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await channel.UnaryAsync(HealthService.Check, new HealthCheckRequest { Service = "deepseekv3.v1.Decode" })).Status);
    }
}
