/**
 * LFW file names: `Person_Name_0001.jpg` (or `.pgm` in LFWcrop).
 * @module
 */

/** The person and image number encoded in an LFW file name. */
export interface FaceName {
  person: string;
  number: number;
}

const FACE_NAME = /^(.+)_(\d{4})\.(jpe?g|pgm|png)$/i;

/** Parses an LFW file name (no folder), or returns undefined when it does not match. */
export function parseFaceFileName(fileName: string): FaceName | undefined {
  const m = FACE_NAME.exec(fileName);
  if (!m) return undefined;
  return { person: m[1], number: Number(m[2]) };
}

/** Formats the LFW image id of a person and number, e.g. `AJ_Cook_0001`. */
export function faceId(person: string, number: number): string {
  return `${person}_${String(number).padStart(4, "0")}`;
}
