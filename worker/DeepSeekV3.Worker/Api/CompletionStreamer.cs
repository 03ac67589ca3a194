using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using DeepSeekV3.Worker.Serving;
using Microsoft.AspNetCore.Http;

namespace DeepSeekV3.Worker.Api;

/// <summary>
/// Turns a request's engine events into the HTTP answer: one JSON body, or server-sent events
/// (<c>data: {chunk}\n\n</c> per token, the finish chunk, the usage chunk when asked, then <c>data: [DONE]</c>).
/// A client that disconnects simply stops the writes; its request was cancelled through RequestAborted.
/// </summary>
public static class CompletionStreamer
{
    private static readonly byte[] s_dataPrefix = "data: "u8.ToArray();
    private static readonly byte[] s_eventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();

    public static async Task RespondAsync(HttpContext context, ChannelReader<GenerationEvent> events, ResponseJson writer,
        ParsedRequest request)
    {
        var text = new StringBuilder();
        var tokens = new List<SampledToken>();
        try
        {
            await foreach (var item in events.ReadAllAsync(CancellationToken.None))
            {
                text.Append(item.Text);
                if (item.Token is { } token)
                {
                    tokens.Add(token);
                }

                if (item is { Finish: { } finish, Usage: { } usage })
                {
                    if (finish == FinishReason.Cancelled)
                    {
                        return; // the client is gone: nobody to answer
                    }

                    context.Response.ContentType = "application/json";
                    await using var json = new Utf8JsonWriter(context.Response.Body);
                    writer.WriteCompletion(json, text.ToString(), tokens, request.Logprobs, finish, usage);
                    return;
                }
            }
        }
        catch (Exception e) when (Failure(e) is { } failure)
        {
            await OpenAiError.WriteAsync(context, StatusCodes.Status500InternalServerError, "server_error", failure.Message);
        }
    }

    public static async Task StreamAsync(HttpContext context, ChannelReader<GenerationEvent> events, ResponseJson writer,
        ParsedRequest request)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer);
        bool first = true;
        try
        {
            await foreach (var item in events.ReadAllAsync(CancellationToken.None))
            {
                if (item.Finish == FinishReason.Cancelled)
                {
                    return;
                }

                if (item.Token is not null || item.Text.Length > 0 || first)
                {
                    writer.WriteChunk(json, item.Text, item.Token, request.Logprobs, null, first);
                    await SendAsync(context, buffer, json);
                    first = false;
                }

                if (item is { Finish: { } finish, Usage: { } usage })
                {
                    writer.WriteChunk(json, "", null, false, finish, first);
                    await SendAsync(context, buffer, json);
                    if (request.IncludeUsage)
                    {
                        writer.WriteUsageChunk(json, usage);
                        await SendAsync(context, buffer, json);
                    }

                    await context.Response.Body.WriteAsync(s_done);
                    await context.Response.Body.FlushAsync();
                    return;
                }
            }
        }
        catch (Exception e) when (Failure(e) is { } failure)
        {
            // Headers are gone already: the error travels as a last event, as OpenAI's streams do.
            buffer.Clear();
            json.Reset(buffer);
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", failure.Message);
            json.WriteString("type", "server_error");
            json.WriteEndObject();
            json.WriteEndObject();
            await SendAsync(context, buffer, json);
        }
        catch (IOException)
        {
            // The client disconnected mid-stream; RequestAborted already cancelled the request.
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // Same: the client went away.
        }
    }

    /// <summary>The engine's failure behind an exception from the channel (thrown as is or wrapped as closed).</summary>
    private static EngineFailedException? Failure(Exception e) =>
        e as EngineFailedException ?? e.InnerException as EngineFailedException;

    private static async Task SendAsync(HttpContext context, ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        json.Flush();
        var body = context.Response.Body;
        await body.WriteAsync(s_dataPrefix);
        await body.WriteAsync(buffer.WrittenMemory);
        await body.WriteAsync(s_eventEnd);
        await body.FlushAsync();
        buffer.Clear();
        json.Reset(buffer);
    }
}
