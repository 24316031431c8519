import { loadNativeKernels } from "../lib/backend/native_kernels.ts";
console.log(Deno.env.get("OPENBLAS_CORETYPE"), loadNativeKernels(), Deno.env.get("OPENBLAS_CORETYPE"));
