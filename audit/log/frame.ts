// The on-disk record frame. Every record is self-checking (CRC32) so a torn or flipped frame is found
// without trusting its neighbours, and carries the chain hash of the record before it so a dropped,
// reordered or spliced record breaks the chain even when every CRC is fine.
//
//   u32 BE payload length | u32 BE CRC32 of the length | payload | prev chain hash (32)
//   | u32 BE CRC32 of everything before it
//
// The length has its own CRC so that a flipped length byte reads as damage, not as a record that
// runs past the end of the file — which recovery would otherwise mistake for a torn tail and cut.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { HASH_SIZE } from '../merkle/hash.js';

const HEADER_SIZE = 8;

/** Bytes a frame adds around its payload. */
export const FRAME_OVERHEAD = HEADER_SIZE + HASH_SIZE + 4;

/** The chain hash "before" record 0. */
export const GENESIS_CHAIN: Uint8Array = new Uint8Array(HASH_SIZE);

/**
 * The chain hash of a record: SHA-256 over its length, payload and the previous chain hash, so each
 * link commits to the whole history before it.
 */
export function chainHash(header: Uint8Array, payload: Uint8Array, prev: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(header).update(payload).update(prev).digest());
}

export interface EncodedFrame {
  /** Buffers to hand to `writev` in order; the payload is not copied. */
  parts: [Buffer, Buffer, Buffer];
  bytes: number;
  chain: Uint8Array;
}

/** Frames `payload` after the record whose chain hash is `prev`. */
export function encodeFrame(payload: Buffer, prev: Uint8Array): EncodedFrame {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(crc32(header.subarray(0, 4)), 4);
  const trailer = Buffer.allocUnsafe(HASH_SIZE + 4);
  trailer.set(prev, 0);
  const crc = crc32(trailer.subarray(0, HASH_SIZE), crc32(payload, crc32(header)));
  trailer.writeUInt32BE(crc, HASH_SIZE);
  return { parts: [header, payload, trailer], bytes: FRAME_OVERHEAD + payload.length, chain: chainHash(header, payload, prev) };
}

/** What `decodeFrame` found at an offset. */
export type DecodedFrame =
  | { kind: 'ok'; payload: Buffer; prev: Buffer; chain: Uint8Array; end: number }
  // The buffer ends before the frame does: a write that never finished.
  | { kind: 'incomplete' }
  | { kind: 'bad'; reason: string };

/** Decodes the frame starting at `offset` in `buf` (a whole segment file). */
export function decodeFrame(buf: Buffer, offset: number, maxPayload: number): DecodedFrame {
  if (buf.length - offset < HEADER_SIZE) return { kind: 'incomplete' };
  const length = buf.readUInt32BE(offset);
  if (crc32(buf.subarray(offset, offset + 4)) !== buf.readUInt32BE(offset + 4)) return { kind: 'bad', reason: 'length checksum mismatch' };
  if (length === 0 || length > maxPayload) return { kind: 'bad', reason: `payload length ${length} is outside 1..${maxPayload}` };
  const end = offset + FRAME_OVERHEAD + length;
  if (end > buf.length) return { kind: 'incomplete' };
  const header = buf.subarray(offset, offset + HEADER_SIZE);
  const payload = buf.subarray(offset + HEADER_SIZE, offset + HEADER_SIZE + length);
  const prev = buf.subarray(offset + HEADER_SIZE + length, end - 4);
  const crc = crc32(prev, crc32(payload, crc32(header)));
  if (crc !== buf.readUInt32BE(end - 4)) return { kind: 'bad', reason: 'checksum mismatch' };
  return { kind: 'ok', payload, prev, chain: chainHash(header, payload, prev), end };
}
