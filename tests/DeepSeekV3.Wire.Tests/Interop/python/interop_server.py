"""grpc.testing.TestService on Debian's python3-grpcio (C-core), for our client's interop tests.
Prints the bound port on stdout, then serves until killed (or for --lifetime seconds)."""
import sys
import time
from concurrent import futures

import grpc

import messages as m

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"


def _code(number):
    return next(code for code in grpc.StatusCode if code.value[0] == number)


def _echo(context):
    metadata = dict(context.invocation_metadata())
    if ECHO_INITIAL in metadata:
        context.send_initial_metadata(((ECHO_INITIAL, metadata[ECHO_INITIAL]),))
    if ECHO_TRAILING in metadata:
        context.set_trailing_metadata(((ECHO_TRAILING, metadata[ECHO_TRAILING]),))


def empty_call(request, context):
    return m.Empty()


def unary_call(request, context):
    _echo(context)
    if request.response_status.code:
        context.abort(_code(request.response_status.code), request.response_status.message)
    return m.SimpleResponse(payload=m.Payload(body=bytes(request.response_size)))


def streaming_output_call(request, context):
    for parameters in request.response_parameters:
        time.sleep(parameters.interval_us / 1e6)
        yield m.StreamingOutputCallResponse(payload=m.Payload(body=bytes(parameters.size)))
    if request.response_status.code:
        context.abort(_code(request.response_status.code), request.response_status.message)


def streaming_input_call(request_iterator, context):
    return m.StreamingInputCallResponse(aggregated_payload_size=sum(len(r.payload.body) for r in request_iterator))


def full_duplex_call(request_iterator, context):
    _echo(context)
    for request in request_iterator:
        if request.response_status.code:
            context.abort(_code(request.response_status.code), request.response_status.message)
        for parameters in request.response_parameters:
            time.sleep(parameters.interval_us / 1e6)
            yield m.StreamingOutputCallResponse(payload=m.Payload(body=bytes(parameters.size)))


def main():
    lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1]) if "--lifetime" in sys.argv else 300.0
    handlers = {
        "EmptyCall": grpc.unary_unary_rpc_method_handler(empty_call, m.Empty.FromString, m.Empty.SerializeToString),
        "UnaryCall": grpc.unary_unary_rpc_method_handler(unary_call, m.SimpleRequest.FromString, m.SimpleResponse.SerializeToString),
        "StreamingOutputCall": grpc.unary_stream_rpc_method_handler(
            streaming_output_call, m.StreamingOutputCallRequest.FromString, m.StreamingOutputCallResponse.SerializeToString),
        "StreamingInputCall": grpc.stream_unary_rpc_method_handler(
            streaming_input_call, m.StreamingInputCallRequest.FromString, m.StreamingInputCallResponse.SerializeToString),
        "FullDuplexCall": grpc.stream_stream_rpc_method_handler(
            full_duplex_call, m.StreamingOutputCallRequest.FromString, m.StreamingOutputCallResponse.SerializeToString),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grpc.testing.TestService", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination(timeout=lifetime)


if __name__ == "__main__":
    main()
