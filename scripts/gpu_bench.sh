#!/usr/bin/env bash
# Training speed on a GPU through WebGPU, beside the CPU path, on a fresh Linux machine (meant
# for one with an NVIDIA GPU and its driver, which provides the Vulkan driver WebGPU uses).
# Needs no LFW: scripts/gpu_bench.ts trains the seed model on synthetic faces.
#
#   scripts/gpu_bench.sh [STEPS]      (default 300 steps of batch 128 per backend)
#
# Installs Deno from npm when missing and the project's packages (deno install), then trains
# STEPS steps (two epochs of STEPS/2) with --backend webgpu and the same steps with wasm, the
# CPU path (with the native kernels when `deno task build-native` can build them). Each run is
# limited to 4 minutes, so the script ends within 10 minutes; WebGPU stops earlier when no
# hardware adapter is found (the line says why).
set -uo pipefail
cd "$(dirname "$0")/.."
steps=${1:-300}

if ! command -v deno >/dev/null 2>&1; then
  echo "gpu_bench: installing Deno from npm"
  npm install -g deno >/dev/null || { echo "gpu_bench: npm install -g deno failed"; exit 1; }
fi
deno --version | head -n 1
deno install --quiet 2>&1 | grep -v "approve-scripts" || true
command -v nvidia-smi >/dev/null 2>&1 &&
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if [ -z "$(ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null)" ]; then
  echo "gpu_bench: no Vulkan driver manifest in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d;" \
    "WebGPU may find no adapter (NVIDIA: the driver's libnvidia-gl / nvidia_icd.json package)"
fi
# The CPU path's native kernels, when a C compiler and OpenBLAS are there (not installed here).
if printf '#include <cblas.h>\n' | cc -E -x c - >/dev/null 2>&1; then
  deno task build-native >/dev/null 2>&1 || echo "gpu_bench: native kernels not built"
fi

log=$(mktemp)
run() {
  local backend=$1
  echo "gpu_bench: --backend $backend, $steps steps of 128 pairs"
  timeout 240 deno run -A --quiet --unstable-webgpu scripts/gpu_bench.ts \
    --backend "$backend" --steps "$steps" 2>&1 | grep -v XDG_RUNTIME_DIR | tee -a "$log"
  local status=${PIPESTATUS[0]}
  [ "$status" -eq 124 ] && echo "gpu_bench: $backend stopped after 240 s (try fewer steps)"
  return 0
}
run webgpu
run wasm
echo "gpu_bench: summary (warm epoch, the same $steps steps on each path):"
grep "gpu_bench: result" "$log" || echo "gpu_bench: no run finished"
rm -f "$log"
