import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fisherPeerMarkdown,
  type FisherSide,
  formatFisherComparison,
  peerPhases,
  readFisherPeerRecord,
  runFisherPeer,
} from "../../lib/bench/fisher_peer.ts";
import { UserError } from "../../lib/util/errors.ts";
import { tempDir } from "../helpers/fixtures.ts";

const PEER_TIMES = {
  load: 20,
  encoder_sift: 30,
  gmm_fit: 100,
  train_fisher: 97,
  pca: 49,
  lda: 2,
  joint_bayesian: 1,
  eval_fisher: 53,
  scoring: 0.5,
  total: 352.5,
};

Deno.test("the peer's phases are summed into ours: encoder = SIFT sample + GMM, evaluate = Fisher vectors + scoring", () => {
  assert.deepEqual(peerPhases(PEER_TIMES), {
    encoder: 130,
    describe: 97,
    pca: 49,
    lda: 2,
    "joint-bayesian": 1,
    evaluate: 53.5,
  });
  // A phase the peer did not report stays empty.
  assert.deepEqual(peerPhases({ pca: 3 }), { pca: 3 });
});

Deno.test("the side-by-side table: each phase, the ratio peer / ours, both accuracies", () => {
  const ours: FisherSide = {
    ok: true,
    seconds: { encoder: 65, describe: 48.5, pca: 20, validation: 30, evaluate: 100 },
    totalSeconds: 300,
    testAccuracy: 0.914,
    testAuc: 0.978,
  };
  const peer: FisherSide = {
    ok: true,
    seconds: peerPhases(PEER_TIMES),
    totalSeconds: 352.5,
    testAccuracy: 0.924,
    testAuc: 0.9767,
  };
  const lines = formatFisherComparison(ours, peer);
  assert.match(lines.find((l) => l.startsWith("encoder"))!, /65\.0 s\s+130\.0 s\s+2\.00x$/);
  assert.match(lines.find((l) => l.startsWith("describe"))!, /48\.5 s\s+97\.0 s\s+2\.00x$/);
  assert.match(lines.find((l) => l.startsWith("validation"))!, /30\.0 s\s+-\s+-$/);
  assert.match(lines.find((l) => l.startsWith("lda"))!, /-\s+2\.0 s\s+-$/);
  assert.match(lines.find((l) => l.startsWith("total"))!, /300\.0 s\s+352\.5 s\s+1\.18x$/);
  assert.equal(
    lines.at(-1),
    "test accuracy: ours 91.40% (AUC 0.9780), peer 92.40% (AUC 0.9767)",
  );
});

Deno.test("runFisherPeer: the peer's last JSON line is read; a missing script is a reason", async () => {
  const missing = await runFisherPeer("/nonexistent/fisher_peer.py", {
    images: "/tmp",
    protocolDir: "/tmp",
    threads: 2,
  });
  assert.deepEqual(missing, {
    ok: false,
    reason: "no reference script at /nonexistent/fisher_peer.py",
    seconds: {},
  });
  let python = true;
  try {
    await Deno.stat("/usr/bin/python3");
  } catch {
    python = false;
  }
  if (!python) return; // the peers need Debian's python3
  const script = join(tempDir(), "peer.py");
  Deno.writeTextFileSync(
    script,
    `import json, sys\nprint("log line")\nprint(json.dumps({"times_s": ${
      JSON.stringify(PEER_TIMES)
    }, "test_accuracy": 0.924, "test_auc": 0.9767, "val_accuracy": 0.936, "argv": sys.argv[1:]}))\n`,
  );
  const peer = await runFisherPeer(script, { images: "/img", protocolDir: "/proto", threads: 2 });
  assert.deepEqual(peer, {
    ok: true,
    seconds: peerPhases(PEER_TIMES),
    totalSeconds: 352.5,
    testAccuracy: 0.924,
    testAuc: 0.9767,
    valAccuracy: 0.936,
  });
});

Deno.test("the README's table of a bench record: each phase, the ratio, the total, where and when", async () => {
  const path = join(tempDir(), "fisher_peer.json");
  const record = {
    command: "deno task bench --fisher-peer",
    ours: {
      ok: true,
      seconds: { encoder: 90, describe: 120, pca: 60, validation: 40, evaluate: 70 },
      totalSeconds: 400,
      testAccuracy: 0.911,
      testAuc: 0.97619,
    },
    peer: {
      ok: true,
      seconds: { encoder: 100, describe: 90, pca: 45, evaluate: 50 },
      totalSeconds: 300,
      testAccuracy: 0.924,
      testAuc: 0.9767,
    },
    git: { commit: "cd3db7c4ca715af7", dirty: false },
    machine: { cpu: "AMD EPYC", cores: 2 },
    createdAt: "2026-12-07T00:29:19.369Z",
  };
  Deno.writeTextFileSync(path, JSON.stringify(record));
  const table = fisherPeerMarkdown(await readFisherPeerRecord(path)).split("\n");
  assert.equal(table[0], "| phase | ours | peer | peer / ours |");
  assert.ok(table.includes("| encoder | 90.0 s | 100.0 s | 1.11x |"), table.join("\n"));
  assert.ok(table.includes("| describe | 120.0 s | 90.0 s | 0.75x |"));
  assert.ok(table.includes("| lda | - | - | - |"));
  assert.ok(table.includes("| validation | 40.0 s | - | - |"));
  assert.ok(table.includes("| **total** | **400.0 s** | **300.0 s** | **0.75x** |"));
  assert.equal(
    table.at(-1),
    "`deno task bench --fisher-peer` (2026-12-07, commit cd3db7c, AMD EPYC, 2 cores): test " +
      "accuracy ours 91.10% (AUC 0.9762), the peer 92.40% (AUC 0.9767).",
  );
  // Not a bench record: one error naming the file.
  Deno.writeTextFileSync(path, JSON.stringify({ ours: {} }));
  await assert.rejects(
    () => readFisherPeerRecord(path),
    (e: Error) =>
      e instanceof UserError &&
      e.message === `${path}: not a record of \`deno task bench --fisher-peer\``,
  );
  Deno.writeTextFileSync(path, "{");
  await assert.rejects(() => readFisherPeerRecord(path), /not a readable bench record/);
});
