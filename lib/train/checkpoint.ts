/**
 * Checkpoints: one binary file (`checkpoint.bin`) holding a JSON header and every float array
 * (weights and optimiser moments), written atomically so that a killed run never leaves a half
 * checkpoint.
 *
 * Layout: "FCCK" magic, uint32 header length (little endian), UTF-8 JSON header, zero padding to
 * a multiple of 4, then the float32 arrays back to back at the offsets the header lists. The
 * header (format 2) carries a checksum of the arrays, the epoch and the optimiser step, verified
 * on load, so a changed weight is detected even when the size is right.
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import type { AdamState } from "./adam.ts";
import { DamagedFileError, damageReason } from "../util/damaged_file.ts";

/** What a checkpoint holds. */
export interface Checkpoint {
  /** Model name. */
  model: string;
  /** Epochs completed. */
  epoch: number;
  weights: Map<string, Float32Array>;
  optimizer: AdamState;
  /** Free-form facts (seed, run parameters) checked on resume. */
  meta: Record<string, unknown>;
}

const MAGIC = "FCCK";

/** FNV-1a over the 32-bit words of the arrays, then the epoch and step (integrity, not security). */
function payloadChecksum(words: Uint32Array, epoch: number, step: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  h = Math.imul(h ^ epoch, 0x01000193);
  h = Math.imul(h ^ step, 0x01000193);
  return h >>> 0;
}

/** Serialises a checkpoint. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const arrays: { group: string; name: string; data: Float32Array }[] = [];
  for (const [name, data] of c.weights) arrays.push({ group: "weights", name, data });
  for (const [name, data] of c.optimizer.m) arrays.push({ group: "adam_m", name, data });
  for (const [name, data] of c.optimizer.v) arrays.push({ group: "adam_v", name, data });
  let offset = 0;
  const tensors = arrays.map((a) => {
    const entry = { group: a.group, name: a.name, offset, length: a.data.length };
    offset += a.data.length;
    return entry;
  });
  const payload = new Float32Array(offset);
  arrays.forEach((a, i) => payload.set(a.data, tensors[i].offset));
  const header = new TextEncoder().encode(JSON.stringify({
    format: 2,
    model: c.model,
    epoch: c.epoch,
    adamStep: c.optimizer.step,
    checksum: payloadChecksum(new Uint32Array(payload.buffer), c.epoch, c.optimizer.step),
    meta: c.meta,
    tensors,
  }));
  const dataStart = Math.ceil((8 + header.length) / 4) * 4;
  const out = new Uint8Array(dataStart + offset * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  out.set(new Uint8Array(payload.buffer), dataStart);
  return out;
}

/** Parses a checkpoint; throws an Error describing the damage if it is not one. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error("not a face-comparer checkpoint");
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (8 + headerLength > bytes.length) throw new Error("truncated checkpoint header");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const dataStart = Math.ceil((8 + headerLength) / 4) * 4;
  const total = header.tensors.reduce((n: number, t: { length: number }) => n + t.length, 0);
  if (bytes.length !== dataStart + total * 4) throw new Error("truncated checkpoint data");
  const aligned = bytes.slice(dataStart).buffer;
  // Format 1 (before checksums) is read as it is.
  if (header.format >= 2) {
    const found = payloadChecksum(new Uint32Array(aligned), header.epoch, header.adamStep);
    if (found !== header.checksum) {
      throw new Error(
        `checkpoint checksum mismatch (${found.toString(16)}, expected ${
          Number(header.checksum).toString(16)
        }): its weights or state changed after it was written`,
      );
    }
  }
  const groups: Record<string, Map<string, Float32Array>> = {
    weights: new Map(),
    adam_m: new Map(),
    adam_v: new Map(),
  };
  for (const t of header.tensors) {
    groups[t.group].set(t.name, new Float32Array(aligned, t.offset * 4, t.length));
  }
  return {
    model: header.model,
    epoch: header.epoch,
    weights: groups.weights,
    optimizer: { step: header.adamStep, m: groups.adam_m, v: groups.adam_v },
    meta: header.meta,
  };
}

/** Writes a checkpoint file atomically. */
export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c));
}

/**
 * Reads a checkpoint file, or undefined if there is none; one that fails its own checks (its
 * checksum, its length) is a DamagedFileError naming the file.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (error) {
    throw new DamagedFileError(path, damageReason(error));
  }
}
