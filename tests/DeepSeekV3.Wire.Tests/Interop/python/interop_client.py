"""The standard interop cases (grpc/grpc doc/interop-test-descriptions.md) run by Debian's python3-grpcio client
against a TestService at 127.0.0.1:PORT. Usage: interop_client.py PORT CASE. Exit 0 = passed; else the failure."""
import sys
import threading

import grpc

import messages as m

SERVICE = "/grpc.testing.TestService/"
REQUEST_SIZES = [27182, 8, 1828, 45904]
RESPONSE_SIZES = [31415, 9, 2653, 58979]
SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \U0001F608\t\n"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def methods(channel):
    return {
        "empty": channel.unary_unary(SERVICE + "EmptyCall", m.Empty.SerializeToString, m.Empty.FromString),
        "unary": channel.unary_unary(SERVICE + "UnaryCall", m.SimpleRequest.SerializeToString, m.SimpleResponse.FromString),
        "output": channel.unary_stream(SERVICE + "StreamingOutputCall", m.StreamingOutputCallRequest.SerializeToString,
                                       m.StreamingOutputCallResponse.FromString),
        "input": channel.stream_unary(SERVICE + "StreamingInputCall", m.StreamingInputCallRequest.SerializeToString,
                                      m.StreamingInputCallResponse.FromString),
        "duplex": channel.stream_stream(SERVICE + "FullDuplexCall", m.StreamingOutputCallRequest.SerializeToString,
                                        m.StreamingOutputCallResponse.FromString),
        "unimplemented": channel.unary_unary(SERVICE + "UnimplementedCall", m.Empty.SerializeToString, m.Empty.FromString),
        "unimplemented_service": channel.unary_unary("/grpc.testing.UnimplementedService/UnimplementedCall",
                                                     m.Empty.SerializeToString, m.Empty.FromString),
    }


def expect_error(code, call):
    try:
        call()
    except grpc.RpcError as error:
        check(error.code() == code, f"expected {code}, got {error.code()}: {error.details()}")
        return error
    raise AssertionError(f"expected {code}, the call succeeded")


def run(case, s):
    if case == "empty_unary":
        check(s["empty"](m.Empty()) == m.Empty(), "empty response")
    elif case == "large_unary":
        response = s["unary"](m.SimpleRequest(response_size=314159, payload=m.Payload(body=bytes(271828))))
        check(len(response.payload.body) == 314159, "payload size")
    elif case == "client_streaming":
        response = s["input"](iter([m.StreamingInputCallRequest(payload=m.Payload(body=bytes(n))) for n in REQUEST_SIZES]))
        check(response.aggregated_payload_size == 74922, f"aggregated {response.aggregated_payload_size}")
    elif case == "server_streaming":
        request = m.StreamingOutputCallRequest(response_parameters=[m.ResponseParameters(size=n) for n in RESPONSE_SIZES])
        check([len(r.payload.body) for r in s["output"](request)] == RESPONSE_SIZES, "response sizes")
    elif case == "ping_pong":
        pending = threading.Semaphore(0)
        requests = []

        def generate():
            for size_in, size_out in zip(REQUEST_SIZES, RESPONSE_SIZES):
                yield m.StreamingOutputCallRequest(payload=m.Payload(body=bytes(size_in)),
                                                   response_parameters=[m.ResponseParameters(size=size_out)])
                requests.append(size_out)
                pending.acquire()  # the next ping only after the pong

        sizes = []
        for response in s["duplex"](generate()):
            sizes.append(len(response.payload.body))
            pending.release()
        check(sizes == RESPONSE_SIZES, f"sizes {sizes}")
    elif case == "empty_stream":
        check(list(s["duplex"](iter([]))) == [], "no responses")
    elif case == "cancel_after_begin":
        event = threading.Event()

        def never():
            event.wait()
            return
            yield  # pragma: no cover

        future = s["input"].future(never())
        future.cancel()
        event.set()
        check(future.cancelled(), "not cancelled")
    elif case == "cancel_after_first_response":
        event = threading.Event()

        def one_then_wait():
            yield m.StreamingOutputCallRequest(payload=m.Payload(body=bytes(27182)),
                                               response_parameters=[m.ResponseParameters(size=31415)])
            event.wait()

        call = s["duplex"](one_then_wait())
        check(len(next(call).payload.body) == 31415, "first response")
        call.cancel()
        event.set()
        expect_error(grpc.StatusCode.CANCELLED, lambda: next(call))
    elif case == "timeout_on_sleeping_server":
        event = threading.Event()

        def one_then_wait():
            yield m.StreamingOutputCallRequest(payload=m.Payload(body=bytes(27182)))
            event.wait(5)

        call = s["duplex"](one_then_wait(), timeout=0.001)
        expect_error(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: list(call))
        event.set()
    elif case in ("status_code_and_message", "special_status_message"):
        message = "test status message" if case == "status_code_and_message" else SPECIAL
        status = m.EchoStatus(code=2, message=message)
        error = expect_error(grpc.StatusCode.UNKNOWN, lambda: s["unary"](m.SimpleRequest(response_status=status)))
        check(error.details() == message, f"details {error.details()!r}")
        error = expect_error(grpc.StatusCode.UNKNOWN, lambda: list(s["duplex"](iter([m.StreamingOutputCallRequest(response_status=status)]))))
        check(error.details() == message, f"details {error.details()!r}")
    elif case == "custom_metadata":
        metadata = (("x-grpc-test-echo-initial", "test_initial_metadata_value"), ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab"))
        response, call = s["unary"].with_call(m.SimpleRequest(response_size=314159, payload=m.Payload(body=bytes(271828))),
                                              metadata=metadata)
        check(dict(call.initial_metadata()).get("x-grpc-test-echo-initial") == "test_initial_metadata_value", "initial (unary)")
        check(dict(call.trailing_metadata()).get("x-grpc-test-echo-trailing-bin") == b"\xab\xab\xab", "trailing (unary)")
        duplex = s["duplex"](iter([m.StreamingOutputCallRequest(payload=m.Payload(body=bytes(271828)),
                                                                response_parameters=[m.ResponseParameters(size=314159)])]),
                             metadata=metadata)
        check(len(list(duplex)) == 1, "one duplex response")
        check(dict(duplex.initial_metadata()).get("x-grpc-test-echo-initial") == "test_initial_metadata_value", "initial (duplex)")
        check(dict(duplex.trailing_metadata()).get("x-grpc-test-echo-trailing-bin") == b"\xab\xab\xab", "trailing (duplex)")
    elif case == "unimplemented_method":
        expect_error(grpc.StatusCode.UNIMPLEMENTED, lambda: s["unimplemented"](m.Empty()))
    elif case == "unimplemented_service":
        expect_error(grpc.StatusCode.UNIMPLEMENTED, lambda: s["unimplemented_service"](m.Empty()))
    else:
        raise ValueError(f"unknown case {case}")


def main():
    port, case = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        run(case, methods(channel))
    print(f"{case}: passed")


if __name__ == "__main__":
    main()
