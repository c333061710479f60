"""Tyk's coprocess message classes, built at import time from the descriptor the gateway's build
writes next to this package (scripts/proto-descriptor.mjs, from proto/*.proto).

Building them with protobuf's descriptor pool needs only the `protobuf` package: no grpc_tools,
no protoc, no generated *_pb2.py files to keep in step with proto/.
"""

import json
import os

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

DESCRIPTOR_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "coprocess_descriptor.json")

_pool = descriptor_pool.DescriptorPool()
with open(DESCRIPTOR_FILE, "r", encoding="utf-8") as _f:
    for _file in json_format.ParseDict(json.load(_f), descriptor_pb2.FileDescriptorSet()).file:
        _pool.Add(_file)


def _message_class(name):
    descriptor = _pool.FindMessageTypeByName("coprocess." + name)
    # GetMessageClass is protobuf >= 4.22; Debian 12 ships 4.21 (python3-protobuf 3.21), which has the factory.
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(_pool).GetPrototype(descriptor)


Object = _message_class("Object")
Event = _message_class("Event")
EventReply = _message_class("EventReply")
MiniRequestObject = _message_class("MiniRequestObject")
ResponseObject = _message_class("ResponseObject")
SessionState = _message_class("SessionState")
ReturnOverrides = _message_class("ReturnOverrides")


class HookType:
    """Tyk's HookType enum (proto/coprocess_common.proto)."""

    Unknown = 0
    Pre = 1
    Post = 2
    PostKeyAuth = 3
    CustomKeyCheck = 4
    Response = 5
