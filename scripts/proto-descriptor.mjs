// The protobuf descriptor of proto/*.proto as JSON (a google.protobuf.FileDescriptorSet in its
// JSON form), for the Python plugin host: it builds its message classes from this with
// protobuf's descriptor_pool, so it needs neither grpc_tools nor protoc at build or run time.
//
// protobufjs parses the .proto files (the same parse the gateway's own generated code comes
// from); this file only turns its reflection into descriptor form. protobufjs' own
// ext/descriptor cannot be used: it names map entry types in a way protobuf rejects
// ("map_entry should not be set explicitly").
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';

const SCALAR = {
  double: 'TYPE_DOUBLE', float: 'TYPE_FLOAT', int64: 'TYPE_INT64', uint64: 'TYPE_UINT64', int32: 'TYPE_INT32',
  fixed64: 'TYPE_FIXED64', fixed32: 'TYPE_FIXED32', bool: 'TYPE_BOOL', string: 'TYPE_STRING', bytes: 'TYPE_BYTES',
  uint32: 'TYPE_UINT32', sfixed32: 'TYPE_SFIXED32', sfixed64: 'TYPE_SFIXED64', sint32: 'TYPE_SINT32', sint64: 'TYPE_SINT64',
};

/** protoc's name for a map field's entry type: `set_headers` → `SetHeadersEntry`. */
function mapEntryName(fieldName) {
  return `${fieldName.replace(/(^|_)(.)/g, (_, _sep, c) => c.toUpperCase())}Entry`;
}

/** `.coprocess.Object` style full name of a reflected type. */
const fullName = (type) => (type.fullName.startsWith('.') ? type.fullName : `.${type.fullName}`);

function valueType(field, typeName) {
  if (SCALAR[typeName]) return { type: SCALAR[typeName] };
  const resolved = field.resolvedType;
  if (!resolved) throw new Error(`proto field ${field.fullName}: type ${typeName} is not resolved`);
  return { type: resolved instanceof protobuf.Enum ? 'TYPE_ENUM' : 'TYPE_MESSAGE', type_name: fullName(resolved) };
}

function fieldDescriptor(field, nested) {
  if (field.map) {
    const entry = mapEntryName(field.name);
    nested.push({
      name: entry,
      field: [
        { name: 'key', number: 1, label: 'LABEL_OPTIONAL', ...valueType(field, field.keyType) },
        { name: 'value', number: 2, label: 'LABEL_OPTIONAL', ...valueType(field, field.type) },
      ],
      options: { map_entry: true },
    });
    return { name: field.name, number: field.id, label: 'LABEL_REPEATED', type: 'TYPE_MESSAGE', type_name: `${fullName(field.parent)}.${entry}` };
  }
  return { name: field.name, number: field.id, label: field.repeated ? 'LABEL_REPEATED' : 'LABEL_OPTIONAL', ...valueType(field, field.type) };
}

function enumDescriptor(e) {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

function messageDescriptor(type) {
  const nested = [];
  const field = type.fieldsArray.map((f) => fieldDescriptor(f, nested));
  const enums = [];
  for (const inner of type.nestedArray) {
    if (inner instanceof protobuf.Type) nested.push(messageDescriptor(inner));
    else if (inner instanceof protobuf.Enum) enums.push(enumDescriptor(inner));
  }
  return { name: type.name, field, nested_type: nested, enum_type: enums };
}

/** One FileDescriptorProto holding every type of package `coprocess` from `protoDir`. */
export function coprocessDescriptorSet(protoDir) {
  const files = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort().map((f) => join(protoDir, f));
  const root = new protobuf.Root();
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  const pkg = root.lookup('coprocess');
  const messages = [];
  const enums = [];
  const services = [];
  for (const item of pkg.nestedArray) {
    if (item instanceof protobuf.Type) messages.push(messageDescriptor(item));
    else if (item instanceof protobuf.Enum) enums.push(enumDescriptor(item));
    else if (item instanceof protobuf.Service) {
      services.push({
        name: item.name,
        method: item.methodsArray.map((m) => ({ name: m.name, input_type: fullName(m.resolvedRequestType), output_type: fullName(m.resolvedResponseType) })),
      });
    }
  }
  return { file: [{ name: 'isogate/coprocess.proto', package: 'coprocess', syntax: 'proto3', message_type: messages, enum_type: enums, service: services }] };
}
