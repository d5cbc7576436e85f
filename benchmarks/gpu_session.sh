#!/usr/bin/env bash
# The ONE prepared command for a lent GPU machine (device tool), sized for its short lease:
# benchmarks/engine_gpu.py planned to fit --budget-s 480 (8 minutes), killed at 530 s whatever
# happens, so a machine's start-up and one rerun fit a 15-minute lease.
#
# Here, once:   bash benchmarks/gpu_session.sh --fetch     (wheels the GPU image lacks -> .whl/)
# There:        run(command="bash benchmarks/gpu_session.sh", carry=[".whl"], timeout_s=560)
#
# It prints its plan first (which tables, levers, steps and frames fit the budget), then: seconds
# per step, peak VRAM and MFU of the LTX-Video 2B, Wan 2.1 1.3B and LTX-2 19B transformers; a 5 s
# clip through the plain diffusers call vs the engine (equal steps, guidance and VAE dtype).
# Logs go to $OUT (they come back). Extra arguments go to engine_gpu.py (e.g. --budget-s 300,
# --models ltx,wan, --e2e-steps 20, --attn _native_cudnn).
set -o pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fetch" ]; then
    ver=$(.venv/bin/python -c 'import diffusers; print(diffusers.__version__)')
    mkdir -p .whl
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "diffusers==$ver"
    exit $?
fi
OUT=${OUT:-/tmp/previz-gpu-out}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} || exit 3
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
python3 -c 'import torch, diffusers, transformers; print("torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__)' 2>&1 | tee "$OUT/versions.txt"
timeout 530 python3 benchmarks/engine_gpu.py --budget-s 480 --work /tmp "$@" 2>&1 | tee "$OUT/engine_gpu.log"
