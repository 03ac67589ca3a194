#!/usr/bin/env python3
"""grpcio client -> grpcio server on loopback, the peer figures for `dsv3 bench grpc` (which runs this script in the
same run and prints both). Debian's python3-grpcio (C-core) and python3-protobuf; run with /usr/bin/python3.

Unary: --requests round trips of a small BytesValue (latency p50/p99). Streaming: one server-streaming call of
--stream-messages messages of --message-bytes each (throughput MB/s). Prints one JSON object."""
import argparse
import json
import statistics
import time
from concurrent import futures

import grpc
from google.protobuf import wrappers_pb2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--payload-bytes", type=int, default=100)
    parser.add_argument("--stream-messages", type=int, default=256)
    parser.add_argument("--message-bytes", type=int, default=1 << 20)
    args = parser.parse_args()

    block = wrappers_pb2.BytesValue(value=bytes(args.message_bytes))

    def echo(request, context):
        return request

    def stream(request, context):
        for _ in range(request.value):
            yield block

    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(echo, wrappers_pb2.BytesValue.FromString, wrappers_pb2.BytesValue.SerializeToString),
        "Stream": grpc.unary_stream_rpc_method_handler(stream, wrappers_pb2.Int32Value.FromString, wrappers_pb2.BytesValue.SerializeToString),
    }
    options = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Bench", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
    echo_call = channel.unary_unary("/bench.Bench/Echo", wrappers_pb2.BytesValue.SerializeToString, wrappers_pb2.BytesValue.FromString)
    stream_call = channel.unary_stream("/bench.Bench/Stream", wrappers_pb2.Int32Value.SerializeToString, wrappers_pb2.BytesValue.FromString)

    payload = wrappers_pb2.BytesValue(value=bytes(args.payload_bytes))
    for _ in range(200):
        echo_call(payload)
    latencies = []
    for _ in range(args.requests):
        start = time.perf_counter()
        echo_call(payload)
        latencies.append(time.perf_counter() - start)
    latencies.sort()

    for _ in stream_call(wrappers_pb2.Int32Value(value=8)):
        pass
    start = time.perf_counter()
    received = sum(len(message.value) for message in stream_call(wrappers_pb2.Int32Value(value=args.stream_messages)))
    seconds = time.perf_counter() - start

    channel.close()
    server.stop(None)
    print(json.dumps({
        "unary_p50_us": latencies[len(latencies) // 2] * 1e6,
        "unary_p99_us": latencies[int(len(latencies) * 0.99) - 1] * 1e6,
        "unary_mean_us": statistics.mean(latencies) * 1e6,
        "stream_mb_per_s": received / seconds / 1e6,
        "grpcio_version": grpc.__version__,
    }))


if __name__ == "__main__":
    main()
