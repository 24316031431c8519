import assert from "node:assert/strict";
import { openBlasCoreSetting, preferredOpenBlasCore } from "../../lib/util/openblas_core.ts";

const ZEN5 =
  "vendor_id\t: AuthenticAMD\ncpu family\t: 26\nflags\t\t: fpu sse avx2 avx512f avx512dq " +
  "avx512cd avx512bw avx512vl avx512_bf16\n";
const ZEN3 = "vendor_id\t: AuthenticAMD\ncpu family\t: 25\nflags\t\t: fpu sse avx avx2 fma\n";
const ICELAKE = "vendor_id\t: GenuineIntel\nflags\t\t: fpu avx2 avx512f avx512dq avx512cd " +
  "avx512bw avx512vl\n";

Deno.test("OpenBLAS gets its AVX-512 kernels on AMD CPUs that have AVX-512, and only there", () => {
  assert.equal(preferredOpenBlasCore(ZEN5), "SkylakeX");
  assert.equal(preferredOpenBlasCore(ZEN3), undefined);
  // OpenBLAS recognises Intel's AVX-512 CPUs itself.
  assert.equal(preferredOpenBlasCore(ICELAKE), undefined);
  assert.equal(preferredOpenBlasCore(ZEN5.replace(" avx512bw", "")), undefined);
  assert.equal(preferredOpenBlasCore(""), undefined);
});

Deno.test("FACE_COMPARER_BLAS_CORE: auto (the default), openblas, or a core name", () => {
  assert.equal(openBlasCoreSetting(undefined, ZEN5), "SkylakeX");
  assert.equal(openBlasCoreSetting(" Auto ", ZEN5), "SkylakeX");
  assert.equal(openBlasCoreSetting("openblas", ZEN5), undefined);
  assert.equal(openBlasCoreSetting("Haswell", ZEN5), "Haswell");
  assert.equal(openBlasCoreSetting(undefined, ZEN3), undefined);
});
