// Just enough of the protobuf wire format to read the Pipeline envelope by hand and to
// find a string field's raw bytes: varints, length-delimited fields, and skipping the
// rest. Hand-reading the envelope keeps request_id (uint64) exact, which the loader's
// `longs: Number` cannot, at less cost than a generic decode.
// https://protobuf.dev/programming-guides/encoding/

export const WIRE_TYPE_VARINT = 0;
export const WIRE_TYPE_FIXED64 = 1;
export const WIRE_TYPE_LENGTH_DELIMITED = 2;
export const WIRE_TYPE_FIXED32 = 5;

const VARINT_BYTES_MAX = 10;
const UINT64_MASK = (1n << 64n) - 1n;
/** Varints of up to 7 bytes hold at most 49 bits: exact as a plain number. */
const NUMBER_VARINT_BYTES_MAX = 7;

/** Bytes that are not a well-formed message of the expected type. */
export class WireFormatError extends Error {}

export class WireReader {
  buffer: Buffer = Buffer.alloc(0);
  position = 0;
  end = 0;

  /** Points the reader at a message; one reader serves many messages, one at a time. */
  reset(buffer: Buffer, position = 0, end = buffer.length): this {
    this.buffer = buffer;
    this.position = position;
    this.end = end;
    return this;
  }

  get done(): boolean {
    return this.position >= this.end;
  }

  /** The varint's bytes as [start, end), checked; the position moves past them. */
  private varintEnd(): number {
    const start = this.position;
    for (let index = start; index < this.end && index < start + VARINT_BYTES_MAX; index++) {
      if ((this.buffer[index] as number) < 0x80) {
        this.position = index + 1;
        return this.position;
      }
    }
    throw new WireFormatError(`bad varint at offset ${start}`);
  }

  /** A varint's low 32 bits, unsigned: how uint32 fields (and tags) read. */
  uint32(): number {
    const first = this.buffer[this.position] as number;
    // Tags and small values, most of what is read, are one byte.
    if (first < 0x80 && this.position < this.end) {
      this.position++;
      return first;
    }
    const start = this.position;
    const end = Math.min(this.varintEnd(), start + 5);
    let value = 0;
    for (let index = start; index < end; index++) {
      value += ((this.buffer[index] as number) & 0x7f) * 2 ** (7 * (index - start));
    }
    return value % 2 ** 32;
  }

  /** A uint64 exactly: a number when it is a safe integer, else its decimal string. */
  uint64(): number | string {
    const start = this.position;
    const end = this.varintEnd();
    if (end - start <= NUMBER_VARINT_BYTES_MAX) {
      let value = 0;
      for (let index = start; index < end; index++) {
        value += ((this.buffer[index] as number) & 0x7f) * 2 ** (7 * (index - start));
      }
      return value;
    }
    let value = 0n;
    for (let index = end - 1; index >= start; index--) {
      value = (value << 7n) | BigInt((this.buffer[index] as number) & 0x7f);
    }
    value &= UINT64_MASK;
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }

  /** A length-delimited field's bytes, as a view of the buffer (no copy). */
  bytes(): Buffer {
    const length = this.uint32();
    const start = this.position;
    if (length > this.end - start) {
      throw new WireFormatError(`length ${length} at offset ${start} overruns the message`);
    }
    this.position = start + length;
    return this.buffer.subarray(start, this.position);
  }

  /** Skips a field of an unknown number, as proto3 requires. */
  skip(wireType: number): void {
    if (wireType === WIRE_TYPE_VARINT) this.varintEnd();
    else if (wireType === WIRE_TYPE_LENGTH_DELIMITED) this.bytes();
    else if (wireType === WIRE_TYPE_FIXED64) this.advance(8);
    else if (wireType === WIRE_TYPE_FIXED32) this.advance(4);
    else throw new WireFormatError(`wire type ${wireType} at offset ${this.position}`);
  }

  private advance(length: number): void {
    if (length > this.end - this.position) {
      throw new WireFormatError(`field at offset ${this.position} overruns the message`);
    }
    this.position += length;
  }
}

/** Each occurrence of a length-delimited field, by its number, as views of the buffer. */
export function fieldOccurrences(buffer: Buffer, fieldNumber: number): Buffer[] {
  const reader = new WireReader().reset(buffer);
  const found: Buffer[] = [];
  while (!reader.done) {
    const tag = reader.uint32();
    const wireType = tag & 7;
    if (tag >>> 3 === fieldNumber && wireType === WIRE_TYPE_LENGTH_DELIMITED) {
      found.push(reader.bytes());
    } else {
      reader.skip(wireType);
    }
  }
  return found;
}

const checkReader = new WireReader();

/**
 * Why the bytes are not a well-formed message whose known fields have these wire
 * types (indexed by field number), or null. The generic decoder is lenient: it reads
 * a string past the end of the message and a known field of the wrong wire type as
 * if it were right, so a caller's garbage could otherwise be decoded and written.
 */
export function wireFormatProblem(
  buffer: Buffer,
  wireTypes: readonly (number | undefined)[],
): string | null {
  const reader = checkReader.reset(buffer);
  try {
    while (!reader.done) {
      const offset = reader.position;
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      const expected = wireTypes[field];
      if (field === 0) return `field number 0 at offset ${offset}`;
      if (expected !== undefined && wireType !== expected) {
        return `field ${field} of wire type ${wireType}, not ${expected}, at offset ${offset}`;
      }
      reader.skip(wireType);
    }
    return null;
  } catch (error) {
    if (error instanceof WireFormatError) return error.message;
    throw error;
  }
}
