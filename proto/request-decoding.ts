// How the ledger turns request bytes into request objects without ever throwing, so
// that a caller's bad bytes are answered INVALID_ARGUMENT (grpc-js answers INTERNAL
// when a deserializer throws; INTERNAL is for our own bugs), and without losing what
// the generic decode loses:
// - invalid UTF-8 in a string field, which the decode silently turns into U+FFFD, is
//   refused with the field named, so nothing mangled is stored;
// - the Pipeline envelope is read by hand (wire-reader.ts), so request_id (uint64)
//   is echoed exactly, even beyond 2^53.
// The generic decode (proto-loader's, with the loader's options) still reads the
// operations' own messages, so the unary RPCs and the Pipeline see the same objects.
import { isUtf8 } from 'node:buffer';
import type { GetStatementRequest } from './generated/ledger/v1/GetStatementRequest.js';
import type { PostTransactionRequest } from './generated/ledger/v1/PostTransactionRequest.js';
import { isValidRequestTag, REQUEST_TAG_LENGTH_MAX } from './rules.js';
import {
  fieldOccurrences,
  WIRE_TYPE_LENGTH_DELIMITED,
  WIRE_TYPE_VARINT,
  WireFormatError,
  WireReader,
  wireFormatProblem,
} from './wire-reader.js';

/** A request refused before any rule is checked, with the reason the caller gets. */
export class MalformedRequest {
  constructor(readonly details: string) {}
}

export type Decoded<T> = T | MalformedRequest;
export type Deserialize<T> = (buffer: Buffer) => T;

const REPLACEMENT_CHARACTER = '\uFFFD';
const DESCRIPTION_FIELD = 4; // PostTransactionRequest.description

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The wire type of each field (by number) of the operations' messages.
const POST_TRANSACTION_WIRE_TYPES = [
  undefined,
  WIRE_TYPE_VARINT, // client_id
  WIRE_TYPE_VARINT, // amount
  WIRE_TYPE_VARINT, // kind
  WIRE_TYPE_LENGTH_DELIMITED, // description
];
const GET_STATEMENT_WIRE_TYPES = [undefined, WIRE_TYPE_VARINT]; // client_id

/**
 * The generic decode behind a strict check of the wire format, any failure turned
 * into a MalformedRequest naming the type.
 */
function guard<T>(
  deserialize: Deserialize<T>,
  typeName: string,
  wireTypes: readonly (number | undefined)[],
): Deserialize<Decoded<T>> {
  return (buffer) => {
    const problem = wireFormatProblem(buffer, wireTypes);
    if (problem !== null) return new MalformedRequest(`malformed ${typeName}: ${problem}`);
    try {
      return deserialize(buffer);
    } catch (error) {
      return new MalformedRequest(`malformed ${typeName}: ${reasonOf(error)}`);
    }
  };
}

/**
 * Whether a string field decoded with U+FFFD came from invalid UTF-8. Only then are
 * the field's raw bytes looked at, so a valid request pays for one `includes`.
 */
function hasInvalidUtf8(text: string, buffer: Buffer, fieldNumber: number): boolean {
  if (!text.includes(REPLACEMENT_CHARACTER)) return false;
  return fieldOccurrences(buffer, fieldNumber).some((bytes) => !isUtf8(bytes));
}

export function guardPostTransaction(
  deserialize: Deserialize<PostTransactionRequest>,
): Deserialize<Decoded<PostTransactionRequest>> {
  const decode = guard(deserialize, 'PostTransactionRequest', POST_TRANSACTION_WIRE_TYPES);
  return (buffer) => {
    const request = decode(buffer);
    if (request instanceof MalformedRequest) return request;
    if (hasInvalidUtf8(request.description, buffer, DESCRIPTION_FIELD)) {
      return new MalformedRequest('description: must be valid UTF-8');
    }
    return request;
  };
}

export function guardGetStatement(
  deserialize: Deserialize<GetStatementRequest>,
): Deserialize<Decoded<GetStatementRequest>> {
  return guard(deserialize, 'GetStatementRequest', GET_STATEMENT_WIRE_TYPES);
}

/** The caller's id for one Pipeline operation, exactly as sent (see WireReader.uint64). */
export type RequestId = number | string;

/** One Pipeline operation as the ledger reads it. */
export interface PipelineEnvelope {
  readonly requestId: RequestId;
  readonly timeoutMs: number;
  /** The last of the oneof's fields present, as proto3 decoding keeps it. */
  readonly operation: 'postTransaction' | 'getStatement' | undefined;
  readonly postTransaction: Decoded<PostTransactionRequest> | undefined;
  readonly getStatement: Decoded<GetStatementRequest> | undefined;
  /** The request id it serves, for log lines; undefined when absent or not a valid one. */
  readonly requestTag: string | undefined;
}

// The PipelineRequest field numbers (ledger/v1/ledger.proto).
const REQUEST_ID_FIELD = 1;
const TIMEOUT_MS_FIELD = 2;
const POST_TRANSACTION_FIELD = 3;
const GET_STATEMENT_FIELD = 4;
const REQUEST_TAG_FIELD = 5;

/** A request tag as sent, or undefined when it is not one (rules.ts): never a refusal. */
function requestTagOf(bytes: Buffer): string | undefined {
  if (bytes.length > REQUEST_TAG_LENGTH_MAX) return undefined;
  const tag = bytes.toString('latin1');
  return isValidRequestTag(tag) ? tag : undefined;
}

/**
 * Reads a PipelineRequest; the operation's own message goes to the guarded unary
 * decoders. Only an envelope that cannot be read at all is a MalformedRequest: one
 * whose operation is malformed still carries its id, so that operation alone is refused.
 */
export function createPipelineRequestDecoder(
  decodePostTransaction: Deserialize<Decoded<PostTransactionRequest>>,
  decodeGetStatement: Deserialize<Decoded<GetStatementRequest>>,
): Deserialize<Decoded<PipelineEnvelope>> {
  const reader = new WireReader();
  return (buffer) => {
    let requestId: RequestId = 0;
    let timeoutMs = 0;
    let operation: PipelineEnvelope['operation'];
    let operationBytes: Buffer | undefined;
    let requestTag: string | undefined;
    try {
      reader.reset(buffer);
      while (!reader.done) {
        const tag = reader.uint32();
        const field = tag >>> 3;
        const wireType = tag & 7;
        if (field === REQUEST_ID_FIELD && wireType === WIRE_TYPE_VARINT) {
          requestId = reader.uint64();
        } else if (field === TIMEOUT_MS_FIELD && wireType === WIRE_TYPE_VARINT) {
          timeoutMs = reader.uint32();
        } else if (field === POST_TRANSACTION_FIELD && wireType === WIRE_TYPE_LENGTH_DELIMITED) {
          operation = 'postTransaction';
          operationBytes = reader.bytes();
        } else if (field === GET_STATEMENT_FIELD && wireType === WIRE_TYPE_LENGTH_DELIMITED) {
          operation = 'getStatement';
          operationBytes = reader.bytes();
        } else if (field === REQUEST_TAG_FIELD && wireType === WIRE_TYPE_LENGTH_DELIMITED) {
          requestTag = requestTagOf(reader.bytes());
        } else if (field === 0 || field <= REQUEST_TAG_FIELD) {
          // A known field of the wrong wire type, or the invalid field number 0.
          throw new WireFormatError(`field ${field} of wire type ${wireType}`);
        } else {
          reader.skip(wireType);
        }
      }
    } catch (error) {
      return new MalformedRequest(`malformed PipelineRequest: ${reasonOf(error)}`);
    }
    return {
      requestId,
      timeoutMs,
      operation,
      postTransaction:
        operation === 'postTransaction' && operationBytes
          ? decodePostTransaction(operationBytes)
          : undefined,
      getStatement:
        operation === 'getStatement' && operationBytes
          ? decodeGetStatement(operationBytes)
          : undefined,
      requestTag,
    };
  };
}
