/**
 * prepare announces the memory it takes at its peak, not the face array alone: measured in a
 * process of its own (its peak resident memory), on the native-worker path for grey faces and on
 * sharp's path for colour ones. Saving the faces makes no second copy of the array.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tempDir, writeJpegFolder } from "../helpers/fixtures.ts";

const MiB = 2 ** 20;

async function preparePeak(images: string, size: number, colour: boolean) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      fileURLToPath(new URL("../helpers/prepare_peak.ts", import.meta.url)),
      images,
      String(size),
      ...(colour ? ["colour"] : []),
    ],
    env: { NO_COLOR: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const announced = /preparing them peaks at ([0-9.]+) GB of memory/.exec(out);
  assert.ok(announced, out);
  return {
    announced: Number(announced[1]) * 2 ** 30,
    peak: Number(/^peak (\d+)$/m.exec(out)![1]),
    out,
  };
}

Deno.test({
  name: "prepare announces its real peak memory (faces, process and decoders), measured",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const images = tempDir();
    await writeJpegFolder(images, { people: 60, perPerson: 10 });
    // 600 grey faces of 512 px: a 150 MiB array; colour faces of 256 px: 113 MiB.
    for (const [size, colour] of [[512, false], [256, true]] as const) {
      const { announced, peak, out } = await preparePeak(images, size, colour);
      const array = 600 * size * size * (colour ? 3 : 1);
      const what = `${colour ? "colour" : "grey"} ${size}: announced ${
        (announced / MiB).toFixed(0)
      } MiB, peak ${(peak / MiB).toFixed(0)} MiB\n${out}`;
      // The announcement is printed to 10 MB: within that, the peak stays below it...
      assert.ok(peak <= announced + 12 * MiB, what);
      // ...which counts more than the array, and not wildly more than the peak.
      assert.ok(announced > array + 64 * MiB && announced < 1.5 * peak, what);
    }
  },
});
