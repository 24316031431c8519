import assert from "node:assert/strict";
import { convGeometry } from "../../lib/backend/conv_geometry.ts";

Deno.test("convolution geometry: valid, same with stride 2, and explicit padding", () => {
  const valid = convGeometry([128, 30, 30, 32], [3, 3, 32, 32], { strides: [1, 1], pad: "valid" });
  assert.deepEqual(
    [valid.outH, valid.outW, valid.outC, valid.padTop, valid.padLeft, valid.sh],
    [28, 28, 32, 0, 0, 1],
  );
  // TensorFlow's "same" with stride 2 pads the total (here 3) with the extra pixel at the end.
  const same = convGeometry([2, 28, 28, 32], [5, 5, 32, 64], { strides: [2, 2], pad: "same" });
  assert.deepEqual([same.outH, same.outW, same.padTop, same.padLeft, same.sh], [14, 14, 1, 1, 2]);
  const explicit = convGeometry([1, 9, 7, 3], [3, 3, 3, 4], {
    strides: [1, 2],
    pad: [[0, 0], [2, 0], [1, 1], [0, 0]],
  });
  assert.deepEqual(
    [explicit.outH, explicit.outW, explicit.padTop, explicit.padLeft, explicit.sw],
    [9, 4, 2, 1, 2],
  );
});

Deno.test("convolution geometry refuses dilation and NCHW", () => {
  assert.throws(
    () => convGeometry([1, 9, 9, 1], [3, 3, 1, 1], { strides: 1, pad: "valid", dilations: 2 }),
    /dilated/,
  );
  assert.throws(
    () =>
      convGeometry([1, 9, 9, 1], [3, 3, 1, 1], { strides: 1, pad: "valid", dataFormat: "NCHW" }),
    /NHWC/,
  );
});
