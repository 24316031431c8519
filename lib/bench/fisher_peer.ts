/**
 * Our Fisher-vector pipeline beside its Python peer (`../shared/peers/fisher_peer.py`: OpenCV,
 * numpy and scikit-learn), in the same minutes on the same machine (`deno task bench
 * --fisher-peer`): ours is fitted and tested on LFW View 1 as the README's quick start does it
 * (`train` then `test`, in a store of its own so that nothing is cached), then the peer runs the
 * same recipe on the same split. Each phase's time stands beside the peer's, with both
 * accuracies.
 *
 * Phases: `encoder` (dense SIFT of 1,500 faces, their PCA and the Gaussian mixture; the peer's
 * `encoder_sift` + `gmm_fit`), `describe` (Fisher vectors of the training faces; `train_fisher`),
 * `pca`, `lda`, `joint-bayesian`, and `evaluate` (the validation and test faces with their
 * mirror images, scored: our `test` stage; the peer's `eval_fisher` + `scoring`). Our fit also
 * scores the validation pairs once more for its history (`validation`), which the peer does not.
 * @module
 */
import { join } from "node:path";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { TRAIN_FILES } from "../train/train_files.ts";
import { runPythonPeer } from "./python_peer.ts";
import { UserError } from "../util/errors.ts";

/** The phases compared, in order. */
export const FISHER_PHASES = [
  "encoder",
  "describe",
  "pca",
  "lda",
  "joint-bayesian",
  "validation",
  "evaluate",
] as const;
/** One of {@linkcode FISHER_PHASES}. */
export type FisherPhase = typeof FISHER_PHASES[number];

/** The peer's phases (its `times_s` keys) that make each of ours. */
const PEER_PHASES: Record<FisherPhase, string[]> = {
  encoder: ["encoder_sift", "gmm_fit"],
  describe: ["train_fisher"],
  pca: ["pca"],
  lda: ["lda"],
  "joint-bayesian": ["joint_bayesian"],
  validation: [],
  evaluate: ["eval_fisher", "scoring"],
};

/** One side's figures. */
export interface FisherSide {
  ok: boolean;
  /** Why it did not run. */
  reason?: string;
  seconds: Partial<Record<FisherPhase, number>>;
  /** Every phase, and what runs outside them (loading, preparing). */
  totalSeconds?: number;
  testAccuracy?: number;
  testAuc?: number;
  valAccuracy?: number;
}

/** Phase times of our fit from its checkpoint (its steps, then its validation scoring). */
export async function ourFitPhases(
  trainDir: string,
): Promise<Partial<Record<FisherPhase, number>>> {
  const checkpoint = await loadCheckpoint(join(trainDir, TRAIN_FILES.checkpoint));
  const meta = checkpoint?.meta as
    | { steps?: { step: string; seconds: number }[]; history?: { seconds: number }[] }
    | undefined;
  if (!meta?.steps) {
    throw new UserError(`${trainDir}: the fit recorded no steps (not a descriptor pipeline)`);
  }
  const out: Partial<Record<FisherPhase, number>> = {};
  let stepped = 0;
  for (const s of meta.steps) {
    if ((FISHER_PHASES as readonly string[]).includes(s.step)) {
      out[s.step as FisherPhase] = s.seconds;
      stepped += s.seconds;
    }
  }
  const total = meta.history?.[0]?.seconds;
  if (total !== undefined) out.validation = Math.max(0, total - stepped);
  return out;
}

/** The peer's phase times, summed into ours. */
export function peerPhases(times: Record<string, number>): Partial<Record<FisherPhase, number>> {
  const out: Partial<Record<FisherPhase, number>> = {};
  for (const phase of FISHER_PHASES) {
    const keys = PEER_PHASES[phase];
    if (keys.length && keys.every((k) => typeof times[k] === "number")) {
      out[phase] = keys.reduce((s, k) => s + times[k], 0);
    }
  }
  return out;
}

/** Runs the peer; its last line is its JSON figures. */
export async function runFisherPeer(
  script: string,
  options: { images: string; protocolDir: string; threads: number },
): Promise<FisherSide> {
  const run = await runPythonPeer(script, [
    "--images",
    options.images,
    "--protocol",
    options.protocolDir,
    "--threads",
    String(options.threads),
  ], {
    module: /No module named '(cv2|sklearn|numpy|PIL)'/,
    hint:
      "the peer needs Debian's python3-opencv and python3-sklearn (apt-get install -y python3-opencv python3-sklearn)",
  });
  if (!run.ok) return { ok: false, reason: run.reason, seconds: {} };
  const line = run.text.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (!line) return { ok: false, reason: "the peer printed no JSON figures", seconds: {} };
  const figures = JSON.parse(line) as {
    times_s: Record<string, number>;
    test_accuracy: number;
    test_auc: number;
    val_accuracy: number;
  };
  return {
    ok: true,
    seconds: peerPhases(figures.times_s),
    totalSeconds: figures.times_s.total,
    testAccuracy: figures.test_accuracy,
    testAuc: figures.test_auc,
    valAccuracy: figures.val_accuracy,
  };
}

/** Seconds as the tables show them. */
const s = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)} s`);
/** The peer's time over ours, as the tables show it. */
const ratio = (a?: number, b?: number) =>
  a === undefined || b === undefined || a <= 0 ? "-" : `${(b / a).toFixed(2)}x`;
/** A side's test accuracy and AUC, as the tables show them. */
const acc = (side: FisherSide) =>
  side.testAccuracy === undefined
    ? "-"
    : `${(100 * side.testAccuracy).toFixed(2)}% (AUC ${side.testAuc?.toFixed(4) ?? "-"})`;

/** The side-by-side table for the terminal. */
export function formatFisherComparison(ours: FisherSide, peer: FisherSide): string[] {
  const lines = [
    `${"phase".padEnd(15)} ${"ours".padStart(9)} ${"peer".padStart(9)} ${
      "peer / ours".padStart(11)
    }`,
  ];
  for (const phase of FISHER_PHASES) {
    lines.push(
      `${phase.padEnd(15)} ${s(ours.seconds[phase]).padStart(9)} ${
        s(peer.seconds[phase]).padStart(9)
      } ${ratio(ours.seconds[phase], peer.seconds[phase]).padStart(11)}`,
    );
  }
  lines.push(
    `${"total".padEnd(15)} ${s(ours.totalSeconds).padStart(9)} ${
      s(peer.totalSeconds).padStart(9)
    } ${ratio(ours.totalSeconds, peer.totalSeconds).padStart(11)}`,
  );
  lines.push(`test accuracy: ours ${acc(ours)}, peer ${acc(peer)}`);
  return lines;
}

/** The record `deno task bench --fisher-peer` writes (and `results/bench/` keeps). */
export interface FisherPeerRecord {
  command: string;
  ours: FisherSide;
  peer: FisherSide;
  git?: { commit: string; dirty: boolean };
  machine?: { cpu?: string; cores?: number };
  createdAt: string;
}

/** The README markers the comparison with the peer stands between. */
export const FISHER_PEER_MARKERS = {
  begin:
    "<!-- fisher-peer:begin (generated by `deno task results --update-readme` from results/bench/fisher_peer.json; do not edit) -->",
  end: "<!-- fisher-peer:end -->",
};

/** Reads a record of `bench --fisher-peer` (a UserError naming the file when it is not one). */
export async function readFisherPeerRecord(path: string): Promise<FisherPeerRecord> {
  let record: FisherPeerRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new UserError(`${path}: not a readable bench record (${(error as Error).message})`);
  }
  if (!record?.ours?.seconds || !record?.peer?.seconds || typeof record.createdAt !== "string") {
    throw new UserError(`${path}: not a record of \`deno task bench --fisher-peer\``);
  }
  return record;
}

/**
 * The record as a markdown table (phase, ours, the peer, peer / ours, and the total), with a line
 * saying when, where and at which commit it was measured, and both accuracies.
 */
export function fisherPeerMarkdown(record: FisherPeerRecord): string {
  const { ours, peer } = record;
  const rows = FISHER_PHASES.map((phase) =>
    `| ${phase} | ${s(ours.seconds[phase])} | ${s(peer.seconds[phase])} | ${
      ratio(ours.seconds[phase], peer.seconds[phase])
    } |`
  );
  const where = [
    record.createdAt.slice(0, 10),
    record.git
      ? `commit ${record.git.commit.slice(0, 7)}${record.git.dirty ? " (modified)" : ""}`
      : "",
    record.machine?.cpu ? `${record.machine.cpu}, ${record.machine.cores} cores` : "",
  ].filter((x) => x).join(", ");
  return [
    "| phase | ours | peer | peer / ours |",
    "|---|---|---|---|",
    ...rows,
    `| **total** | **${s(ours.totalSeconds)}** | **${s(peer.totalSeconds)}** | **${
      ratio(ours.totalSeconds, peer.totalSeconds)
    }** |`,
    "",
    `\`${record.command}\` (${where}): test accuracy ours ${acc(ours)}, the peer ${acc(peer)}.`,
  ].join("\n");
}
