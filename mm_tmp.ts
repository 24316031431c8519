import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "./lib/backend/select_backend.ts";
await selectBackend("wasm", {log:()=>{}});
function time(label: string, f: () => tf.Tensor) { f().dispose(); const t = performance.now(); for (let i=0;i<5;i++) { const r=f(); r.dataSync(); r.dispose(); } console.log(label, ((performance.now()-t)/5).toFixed(1), "ms"); }
const a = tf.randomNormal([128,2048]), w = tf.randomNormal([2048,512]), dy = tf.randomNormal([128,512]);
time("dA = dy*w^T (transB)", () => tf.matMul(dy, w, false, true));
time("dW = a^T*dy (transA)", () => tf.matMul(a, dy, true, false));
const ref = tf.matMul(tf.transpose(a), dy).dataSync(); const got = tf.matMul(a, dy, true, false).dataSync();
let e = 0; for (let i=0;i<ref.length;i++) e=Math.max(e,Math.abs(ref[i]-got[i])); console.log("maxdiff", e);
const b3 = tf.randomNormal([3,5,7]), c3 = tf.randomNormal([3,4,7]);
await tf.setBackend("cpu"); const r3 = tf.matMul(b3, c3, false, true).dataSync(); await tf.setBackend("wasm"); const g3 = tf.matMul(b3, c3, false, true).dataSync();
e = 0; for (let i=0;i<r3.length;i++) e=Math.max(e,Math.abs(r3[i]-g3[i])); console.log("batched maxdiff", e);
