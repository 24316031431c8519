import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type FisherSide,
  formatFisherComparison,
  peerPhases,
  runFisherPeer,
} from "../../lib/bench/fisher_peer.ts";
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
