/**
 * Parsers of the official LFW protocol files (see their README): `pairs.txt` (View 2, ten folds
 * of same and different pairs), `pairsDevTrain.txt` / `pairsDevTest.txt` (View 1, one fold),
 * `people.txt` (View 2, ten folds of people) and `peopleDevTrain.txt` / `peopleDevTest.txt`.
 * @module
 */
import { UserError } from "../util/errors.ts";
import { faceId, type FaceName } from "./face_file_name.ts";

/** One pair of a protocol file. */
export interface ProtocolPair {
  /** 1-based fold number. */
  fold: number;
  same: boolean;
  a: FaceName;
  b: FaceName;
}

/** A parsed pairs file. */
export interface PairsFile {
  folds: number;
  /** Same-person pairs per fold (and as many different-person pairs). */
  perFold: number;
  pairs: ProtocolPair[];
  /**
   * Lines that pair an image with itself (`name 3 3`): kept as the protocol's pairs, but each
   * worth a warning (any model calls an image the same as itself), as `path:line` and the image.
   */
  selfPairs: { line: string; image: string; fold: number }[];
}

/** A person and their number of images, as listed in a people file. */
export interface PeopleEntry {
  person: string;
  images: number;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
}

function positiveInt(token: string | undefined, where: string): number {
  if (token === undefined || !/^\d+$/.test(token) || Number(token) <= 0) {
    throw new UserError(`${where}: expected a positive integer, found "${token ?? ""}"`);
  }
  return Number(token);
}

/**
 * Parses a pairs file: a header `folds perFold` (View 1 files have only `perFold`: one fold),
 * then per fold `perFold` lines `name n1 n2` and `perFold` lines `name1 n1 name2 n2`.
 */
export function parsePairsFile(text: string, path: string): PairsFile {
  const rows = lines(text);
  const header = (rows[0] ?? "").split(/\s+/);
  const folds = header.length >= 2 ? positiveInt(header[0], `${path}:1`) : 1;
  const perFold = positiveInt(header.length >= 2 ? header[1] : header[0], `${path}:1`);
  const expected = 1 + folds * perFold * 2;
  if (rows.length !== expected) {
    throw new UserError(
      `${path}: ${rows.length - 1} pair lines, expected ${
        expected - 1
      } (${folds} folds x ${perFold} x 2)`,
    );
  }
  const pairs: ProtocolPair[] = [];
  const selfPairs: PairsFile["selfPairs"] = [];
  for (let r = 1; r < rows.length; r++) {
    const where = `${path}:${r + 1}`;
    const fold = Math.floor((r - 1) / (2 * perFold)) + 1;
    const same = (r - 1) % (2 * perFold) < perFold;
    const t = rows[r].split(/\s+/);
    if (same) {
      if (t.length !== 3) {
        throw new UserError(`${where}: expected "name n1 n2", found "${rows[r]}"`);
      }
      pairs.push({
        fold,
        same,
        a: { person: t[0], number: positiveInt(t[1], where) },
        b: { person: t[0], number: positiveInt(t[2], where) },
      });
    } else {
      if (t.length !== 4) {
        throw new UserError(`${where}: expected "name1 n1 name2 n2", found "${rows[r]}"`);
      }
      pairs.push({
        fold,
        same,
        a: { person: t[0], number: positiveInt(t[1], where) },
        b: { person: t[2], number: positiveInt(t[3], where) },
      });
    }
    const { a, b } = pairs[pairs.length - 1];
    if (a.person === b.person && a.number === b.number) {
      selfPairs.push({ line: where, image: faceId(a.person, a.number), fold });
    }
  }
  return { folds, perFold, pairs, selfPairs };
}

/**
 * Parses a people file into folds of people: `people.txt` starts with the number of folds and
 * then, per fold, a count line and that many `name images` lines; `peopleDev*.txt` start with
 * a count and hold one list (returned as one fold).
 */
export function parsePeopleFile(text: string, path: string): PeopleEntry[][] {
  const rows = lines(text);
  const first = positiveInt(rows[0], `${path}:1`);
  const multiFold = rows.length > 1 && /^\d+$/.test(rows[1]);
  const folds: PeopleEntry[][] = [];
  let r = 1;
  const readList = (count: number) => {
    const list: PeopleEntry[] = [];
    for (let k = 0; k < count; k++, r++) {
      if (r >= rows.length) {
        throw new UserError(`${path}: ended after ${rows.length} lines, expected more people`);
      }
      const t = rows[r].split(/\s+/);
      if (t.length !== 2) {
        throw new UserError(`${path}:${r + 1}: expected "name images", found "${rows[r]}"`);
      }
      list.push({ person: t[0], images: positiveInt(t[1], `${path}:${r + 1}`) });
    }
    folds.push(list);
  };
  if (multiFold) {
    for (let f = 0; f < first; f++) {
      const count = positiveInt(rows[r], `${path}:${r + 1}`);
      r++;
      readList(count);
    }
  } else {
    readList(first);
  }
  if (r !== rows.length) {
    throw new UserError(`${path}: ${rows.length - r} unexpected lines after the last person`);
  }
  return folds;
}
