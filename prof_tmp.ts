import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "./lib/backend/select_backend.ts";
import { SEED_MODEL } from "./lib/model/seed_model.ts";
import { initialParamArrays, ModelParams } from "./lib/model/model_params.ts";
import { Adam } from "./lib/train/adam.ts";
import { trainStep } from "./lib/train/trainer.ts";
import { Rng } from "./lib/util/rng.ts";
await selectBackend("wasm", {log: ()=>{}});
const p = new ModelParams(SEED_MODEL, initialParamArrays(SEED_MODEL, new Rng(1)));
const adam = new Adam();
const B = 128, S = 32;
const rng = new Rng(2);
const batch = { left: Float32Array.from({length:B*S*S}, ()=>rng.nextFloat()), right: Float32Array.from({length:B*S*S}, ()=>rng.nextFloat()), labels: Float32Array.from({length:B}, (_, i)=>i%2), count: B };
trainStep(p, adam, batch, new Rng(0));
const t0 = performance.now();
const info = await tf.profile(() => { trainStep(p, adam, batch, new Rng(1)); });
const total = performance.now() - t0;
const byKernel = new Map<string, {ms: number, n: number}>();
for (const k of info.kernels) { const e = byKernel.get(k.name) ?? {ms:0,n:0}; e.ms += (k.kernelTimeMs as number); e.n++; byKernel.set(k.name, e); }
const sorted = [...byKernel].sort((a,b)=>b[1].ms-a[1].ms);
let sum = 0; for (const [, e] of sorted) sum += e.ms;
console.log("step total ms", total.toFixed(0), "kernel sum", sum.toFixed(0));
for (const [n, e] of sorted.slice(0, 25)) console.log(n.padEnd(24), e.ms.toFixed(1).padStart(8), e.n);
// per conv-kernel details
for (const k of info.kernels.filter(k=>k.name.startsWith("Conv2D")||k.name==="FusedConv2D")) console.log(k.name, JSON.stringify(k.inputShapes), (k.kernelTimeMs as number).toFixed(1));
