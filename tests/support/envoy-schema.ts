// Validates an Envoy YAML configuration strictly against Envoy's own v3 API protos,
// the copy that the npm package @grpc/grpc-js-xds ships, without an Envoy binary.
// The walk follows protobuf's JSON mapping as Envoy applies it to YAML: an unknown
// field, a wrong scalar type, an undefined enum value, a malformed duration, two
// members of one oneof, a deprecated field, or an unknown `@type` inside an Any is a
// problem. It also enforces the protoc-gen-validate rules that Envoy checks at load
// (required fields and oneofs, numeric and duration bounds, string and list sizes).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import {
  checkMissingFieldRules,
  checkPresentValueRules,
  jsonNameOf,
  type ValidateRules,
  validateRulesOf,
} from './envoy-validate-rules.js';

const DEPENDENCIES_DIR = path.resolve('node_modules/@grpc/grpc-js-xds/deps');
const PROTO_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((name) =>
  path.join(DEPENDENCIES_DIR, name),
);
// protobufjs bundles the other well-known types; descriptor.proto ships as a file.
const DESCRIPTOR_PROTO = path.resolve('node_modules/protobufjs/google/protobuf/descriptor.proto');
const TYPE_URL_PREFIX = 'type.googleapis.com/';

export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

export interface EnvoyApi {
  readonly root: protobuf.Root;
  /** Finds a message type by full name, loading the proto package that defines it. */
  lookupMessage(fullName: string): protobuf.Type | undefined;
}

function resolveImport(_origin: string, target: string): string {
  if (target === 'google/protobuf/descriptor.proto') return DESCRIPTOR_PROTO;
  if (path.isAbsolute(target)) return target;
  for (const dir of PROTO_DIRS) {
    const candidate = path.join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  return target;
}

/** The directory of a package such as `envoy.extensions.upstreams.http.v3`, if shipped. */
function packageDirectory(packageName: string): string | undefined {
  const relative = packageName.split('.').join(path.sep);
  return PROTO_DIRS.map((dir) => path.join(dir, relative)).find((dir) => existsSync(dir));
}

function loadPackage(root: protobuf.Root, packageName: string): void {
  const dir = packageDirectory(packageName);
  if (dir === undefined) return;
  const files = readdirSync(dir).filter((name) => name.endsWith('.proto'));
  root.loadSync(
    files.map((name) => path.join(dir, name)),
    { keepCase: true },
  );
  root.resolveAll();
}

function findType(root: protobuf.Root, fullName: string): protobuf.Type | undefined {
  try {
    return root.lookupType(fullName);
  } catch {
    return undefined;
  }
}

export function loadEnvoyApi(): EnvoyApi {
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  loadPackage(root, 'envoy.config.bootstrap.v3');
  return {
    root,
    lookupMessage(fullName) {
      const known = findType(root, fullName);
      if (known !== undefined) return known;
      loadPackage(root, fullName.slice(0, fullName.lastIndexOf('.')));
      return findType(root, fullName);
    },
  };
}

/** Parses YAML as Envoy's loader would see it; duplicate keys are an error. */
export function parseEnvoyYaml(text: string): unknown {
  return parseYaml(text, { uniqueKeys: true, strict: true, prettyErrors: true });
}

interface Walk {
  readonly api: EnvoyApi;
  readonly problems: string[];
}

/** Every problem found, each prefixed with its path in the document; empty when valid. */
export function validateEnvoyConfig(
  api: EnvoyApi,
  document: unknown,
  rootType: string = BOOTSTRAP_TYPE,
): string[] {
  const type = api.lookupMessage(rootType);
  if (type === undefined) return [`unknown root type ${rootType}`];
  const walk: Walk = { api, problems: [] };
  checkMessage(walk, type, document, '$');
  return walk.problems;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function fieldByName(type: protobuf.Type, key: string): protobuf.Field | undefined {
  return type.fields[key] ?? type.fieldsArray.find((field) => jsonNameOf(field.name) === key);
}

function isMapField(field: protobuf.FieldBase): field is protobuf.MapField {
  return field instanceof protobuf.MapField;
}

function checkMessage(walk: Walk, type: protobuf.Type, value: unknown, at: string): void {
  if (checkWellKnownType(walk, type.fullName.slice(1), value, at)) return;
  if (!isPlainObject(value)) {
    walk.problems.push(`${at}: expected an object for ${type.fullName.slice(1)}`);
    return;
  }
  const oneofMembersSet = new Map<string, string>();
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = fieldByName(type, key);
    if (field === undefined) {
      walk.problems.push(`${at}: unknown field "${key}" in ${type.fullName.slice(1)}`);
      continue;
    }
    checkOneofExclusive(walk, field, oneofMembersSet, `${at}.${key}`);
    checkFieldValue(walk, field, fieldValue, `${at}.${key}`);
  }
  checkMissingFieldRules(type, value, at, walk.problems);
}

function checkOneofExclusive(
  walk: Walk,
  field: protobuf.Field,
  membersSet: Map<string, string>,
  at: string,
): void {
  const oneof = field.partOf;
  if (oneof === null) return;
  const other = membersSet.get(oneof.name);
  if (other !== undefined) {
    walk.problems.push(`${at}: oneof "${oneof.name}" already has "${other}"`);
  }
  membersSet.set(oneof.name, field.name);
}

function checkFieldValue(walk: Walk, field: protobuf.Field, value: unknown, at: string): void {
  if (value === null) {
    walk.problems.push(`${at}: null is not a value (remove the key or give a value)`);
    return;
  }
  if (field.options?.deprecated === true) {
    walk.problems.push(`${at}: field "${field.name}" is deprecated`);
  }
  const rules = validateRulesOf(field);
  if (isMapField(field)) checkMap(walk, field, value, at);
  else if (field.repeated) checkRepeated(walk, field, value, rules, at);
  else checkSingle(walk, field, value, rules, at);
}

function checkMap(walk: Walk, field: protobuf.MapField, value: unknown, at: string): void {
  if (!isPlainObject(value)) {
    walk.problems.push(`${at}: expected a map (an object)`);
    return;
  }
  for (const [key, entry] of Object.entries(value)) {
    checkSingle(walk, field, entry, undefined, `${at}.${key}`);
  }
}

function checkRepeated(
  walk: Walk,
  field: protobuf.Field,
  value: unknown,
  rules: ValidateRules | undefined,
  at: string,
): void {
  if (!Array.isArray(value)) {
    walk.problems.push(`${at}: expected a list`);
    return;
  }
  checkPresentValueRules(rules, value, at, walk.problems);
  const itemRules = rules?.repeated?.items;
  value.forEach((item, index) => {
    if (item === null) walk.problems.push(`${at}[${index}]: null is not a value`);
    else checkSingle(walk, field, item, itemRules, `${at}[${index}]`);
  });
}

function checkSingle(
  walk: Walk,
  field: protobuf.FieldBase,
  value: unknown,
  rules: ValidateRules | undefined,
  at: string,
): void {
  const problemsBefore = walk.problems.length;
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) checkEnum(walk, resolved, value, at);
  else if (resolved instanceof protobuf.Type) checkMessage(walk, resolved, value, at);
  else checkScalar(walk, field.type, value, at);
  // A wrapper's JSON form is its scalar, so PGV's scalar rules apply to the value as written.
  if (walk.problems.length === problemsBefore) {
    checkPresentValueRules(rules, value, at, walk.problems);
  }
}

function checkEnum(walk: Walk, type: protobuf.Enum, value: unknown, at: string): void {
  const name =
    typeof value === 'string'
      ? value
      : typeof value === 'number'
        ? type.valuesById[value]
        : undefined;
  if (name === undefined || type.values[name] === undefined) {
    walk.problems.push(`${at}: ${describe(value)} is not a value of ${type.fullName.slice(1)}`);
    return;
  }
  const valueOptions = type.valuesOptions?.[name];
  if (valueOptions?.deprecated === true) {
    walk.problems.push(`${at}: enum value ${name} is deprecated`);
  }
}

const INTEGER_RANGES: Record<string, readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

function checkScalar(walk: Walk, scalarType: string, value: unknown, at: string): void {
  const range = INTEGER_RANGES[scalarType];
  if (range !== undefined) {
    if (!isIntegerInRange(value, range)) {
      walk.problems.push(`${at}: ${describe(value)} is not a ${scalarType}`);
    }
    return;
  }
  const expected = SCALAR_JS_TYPES[scalarType];
  const valid = expected === 'number' ? isProtoNumber(value) : typeof value === expected;
  if (!valid) walk.problems.push(`${at}: ${describe(value)} is not a ${scalarType}`);
}

const SCALAR_JS_TYPES: Record<string, string> = {
  double: 'number',
  float: 'number',
  bool: 'boolean',
  string: 'string',
  bytes: 'string',
};

function isProtoNumber(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return value === 'NaN' || value === 'Infinity' || value === '-Infinity';
}

function isIntegerInRange(value: unknown, range: readonly [bigint, bigint]): boolean {
  // Protobuf's JSON mapping also accepts integers written as decimal strings.
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
  if (!/^-?\d+$/.test(text)) return false;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) return false;
  const integer = BigInt(text);
  return integer >= range[0] && integer <= range[1];
}

const WRAPPER_SCALARS = new Map<string, string>([
  ['google.protobuf.DoubleValue', 'double'],
  ['google.protobuf.FloatValue', 'float'],
  ['google.protobuf.Int64Value', 'int64'],
  ['google.protobuf.UInt64Value', 'uint64'],
  ['google.protobuf.Int32Value', 'int32'],
  ['google.protobuf.UInt32Value', 'uint32'],
  ['google.protobuf.BoolValue', 'bool'],
  ['google.protobuf.StringValue', 'string'],
  ['google.protobuf.BytesValue', 'bytes'],
]);

// Protobuf JSON: "-1.5s", "3s", "0.000000001s"; at most nine fractional digits.
const DURATION_PATTERN = /^-?\d{1,12}(?:\.\d{1,9})?s$/;
const TIMESTAMP_PATTERN = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/;

/** Handles the types whose JSON form is not an object of fields; true when handled. */
function checkWellKnownType(walk: Walk, fullName: string, value: unknown, at: string): boolean {
  const wrapped = WRAPPER_SCALARS.get(fullName);
  if (wrapped !== undefined) {
    checkScalar(walk, wrapped, value, at);
    return true;
  }
  switch (fullName) {
    case 'google.protobuf.Duration':
      if (typeof value !== 'string' || !DURATION_PATTERN.test(value)) {
        walk.problems.push(`${at}: ${describe(value)} is not a duration such as "1.5s"`);
      }
      return true;
    case 'google.protobuf.Timestamp':
      if (typeof value !== 'string' || !TIMESTAMP_PATTERN.test(value)) {
        walk.problems.push(`${at}: ${describe(value)} is not an RFC 3339 timestamp`);
      }
      return true;
    case 'google.protobuf.Any':
      checkAny(walk, value, at);
      return true;
    case 'google.protobuf.Struct':
      if (!isPlainObject(value)) walk.problems.push(`${at}: expected an object (Struct)`);
      return true;
    case 'google.protobuf.Value':
      return true;
    case 'google.protobuf.ListValue':
      if (!Array.isArray(value)) walk.problems.push(`${at}: expected a list (ListValue)`);
      return true;
    case 'google.protobuf.FieldMask':
      if (typeof value !== 'string') walk.problems.push(`${at}: expected a field mask string`);
      return true;
    default:
      return false;
  }
}

const WELL_KNOWN_WITH_VALUE_KEY = /^google\.protobuf\.(?!Empty$)/;

function checkAny(walk: Walk, value: unknown, at: string): void {
  if (!isPlainObject(value) || typeof value['@type'] !== 'string') {
    walk.problems.push(`${at}: an Any needs an "@type"`);
    return;
  }
  const typeUrl = value['@type'];
  if (!typeUrl.startsWith(TYPE_URL_PREFIX)) {
    walk.problems.push(`${at}.@type: ${typeUrl} does not start with ${TYPE_URL_PREFIX}`);
    return;
  }
  const typeName = typeUrl.slice(TYPE_URL_PREFIX.length);
  const type = walk.api.lookupMessage(typeName);
  if (type === undefined) {
    walk.problems.push(`${at}.@type: unknown type ${typeName}`);
    return;
  }
  const { '@type': _typeUrl, ...fields } = value;
  // Protobuf JSON nests a well-known type with a special form under "value".
  const body = WELL_KNOWN_WITH_VALUE_KEY.test(typeName) ? fields.value : fields;
  checkMessage(walk, type, body, `${at}<${typeName}>`);
}
