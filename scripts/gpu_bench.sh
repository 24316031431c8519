#!/usr/bin/env bash
# Training speed on a GPU through WebGPU, beside the CPU path, on a fresh Linux machine (meant
# for one with an NVIDIA GPU and its driver, which provides the Vulkan driver WebGPU uses).
# Needs no LFW: `deno task bench --backend webgpu` trains the seed model on synthetic faces.
#
#   scripts/gpu_bench.sh [STEPS] [BATCH]   (default 300 steps of batch 128 per backend)
#
# Installs Deno from npm when missing and the project's packages (deno install), then runs
# `deno task bench --backend webgpu`: STEPS steps (two epochs of STEPS/2) on WebGPU, then the
# same steps on the CPU path (with the native kernels when `deno task build-native` can build
# them). Each backend is cut off after 4 minutes, so the script ends within 10 minutes; WebGPU
# reports why when no adapter is found.
set -uo pipefail
cd "$(dirname "$0")/.."
steps=${1:-300}
batch=${2:-128}

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
# The CPU path's native kernels, when a C compiler and OpenBLAS are there.
if printf '#include <cblas.h>\n' | cc -E -x c - >/dev/null 2>&1; then
  deno task build-native >/dev/null 2>&1 || echo "gpu_bench: native kernels not built"
fi
deno task bench --backend webgpu --steps "$steps" --batch-size "$batch" 2>&1 |
  grep -v XDG_RUNTIME_DIR
