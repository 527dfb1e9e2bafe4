// Server reflection, so grpcurl and `buf curl` can list and call the ledger without
// the .proto files. Stock @grpc/reflection, fed with proto-loader's descriptors,
// serves broken files for messages that use a type from another file (Timestamp)
// and for map fields (grpc.health.v1), and clients then fail with "failed to find
// service" (grpc/grpc-node#2595, #2958, #3018). So it is fed instead with the
// descriptor set that `buf build` compiles from proto/ (committed, checked for
// drift), whose files are exactly what a compiler produces, imports included.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { DESCRIPTOR_SET_FILE } from '../proto/loader.js';

/** Field 1 of FileDescriptorSet (`repeated FileDescriptorProto file`), length-delimited. */
const FILE_FIELD_TAG = 0x0a;

/**
 * Splits an encoded FileDescriptorSet into its encoded files, byte for byte, which is
 * all reflection needs: it serves each file as the bytes it was given.
 */
export function splitDescriptorSet(encoded: Uint8Array): Buffer[] {
  const files: Buffer[] = [];
  let offset = 0;
  while (offset < encoded.length) {
    assert.equal(encoded[offset], FILE_FIELD_TAG, 'descriptor set: unexpected field');
    offset++;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = encoded[offset++];
      assert.ok(byte !== undefined && shift < 35, 'descriptor set: bad length');
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    assert.ok(offset + length <= encoded.length, 'descriptor set: truncated');
    files.push(Buffer.from(encoded.subarray(offset, offset + length)));
    offset += length;
  }
  return files;
}

export function createReflectionService(): ReflectionService {
  const fileDescriptorProtos = splitDescriptorSet(readFileSync(DESCRIPTOR_SET_FILE));
  // ReflectionService reads nothing but `fileDescriptorProtos` from each entry.
  const definition = {
    files: { fileDescriptorProtos },
  } as unknown as protoLoader.PackageDefinition;
  return new ReflectionService(definition);
}
