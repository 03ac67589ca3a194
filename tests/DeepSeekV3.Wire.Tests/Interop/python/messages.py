"""The grpc.testing interop messages (same names and field numbers as Protos/test.proto), built at run time from a
descriptor so no generated code or grpc-tools is needed: Debian's python3-protobuf is enough."""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_file = descriptor_pb2.FileDescriptorProto(name="dsv3_interop_test.proto", package="grpc.testing", syntax="proto3")


def _message(name, *fields):
    message = _file.message_type.add(name=name)
    for field_name, number, field_type, label, type_name in fields:
        field = message.field.add(name=field_name, number=number, type=field_type, label=label)
        if type_name:
            field.type_name = type_name


_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_message("Empty")
_message("Payload", ("body", 2, _F.TYPE_BYTES, _OPT, None))
_message("EchoStatus", ("code", 1, _F.TYPE_INT32, _OPT, None), ("message", 2, _F.TYPE_STRING, _OPT, None))
_message("SimpleRequest", ("response_size", 2, _F.TYPE_INT32, _OPT, None),
         ("payload", 3, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.Payload"),
         ("response_status", 7, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.EchoStatus"))
_message("SimpleResponse", ("payload", 1, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.Payload"))
_message("StreamingInputCallRequest", ("payload", 1, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.Payload"))
_message("StreamingInputCallResponse", ("aggregated_payload_size", 1, _F.TYPE_INT32, _OPT, None))
_message("ResponseParameters", ("size", 1, _F.TYPE_INT32, _OPT, None), ("interval_us", 2, _F.TYPE_INT32, _OPT, None))
_message("StreamingOutputCallRequest", ("response_parameters", 2, _F.TYPE_MESSAGE, _REP, ".grpc.testing.ResponseParameters"),
         ("payload", 3, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.Payload"),
         ("response_status", 7, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.EchoStatus"))
_message("StreamingOutputCallResponse", ("payload", 1, _F.TYPE_MESSAGE, _OPT, ".grpc.testing.Payload"))

_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file)


def _class(name):
    descriptor = _pool.FindMessageTypeByName("grpc.testing." + name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(_pool).GetPrototype(descriptor)


Empty = _class("Empty")
Payload = _class("Payload")
EchoStatus = _class("EchoStatus")
SimpleRequest = _class("SimpleRequest")
SimpleResponse = _class("SimpleResponse")
StreamingInputCallRequest = _class("StreamingInputCallRequest")
StreamingInputCallResponse = _class("StreamingInputCallResponse")
ResponseParameters = _class("ResponseParameters")
StreamingOutputCallRequest = _class("StreamingOutputCallRequest")
StreamingOutputCallResponse = _class("StreamingOutputCallResponse")
