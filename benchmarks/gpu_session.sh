#!/usr/bin/env bash
# The one prepared run for a lent GPU machine (device tool), sized for its short lease.
#
# Here, once:   bash benchmarks/gpu_session.sh --fetch     (wheels the GPU image lacks -> .whl/)
# There:        run(command="bash benchmarks/gpu_session.sh table", carry=[".whl"], timeout_s=560)
#               run(command="bash benchmarks/gpu_session.sh e2e",   carry=[".whl"], timeout_s=560)
#
# "table": seconds per step, peak VRAM and MFU of the LTX 2B and Wan 1.3B transformers, plain and
# with each lossless lever (benchmarks/engine_gpu.py). "e2e": a 5 s clip through the plain
# diffusers pipeline vs the engine with its levers. Logs go to $OUT (they come back).
# Extra arguments go to engine_gpu.py (e.g. --models ltx, --e2e-steps 20, --attn _native_cudnn).
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
part=${1:-table}
shift || true
OUT=${OUT:-/tmp/previz-gpu-out}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} || exit 3
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
python3 -c 'import torch, diffusers, transformers; print("torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__)' 2>&1 | tee "$OUT/versions.txt"
case "$part" in
    table) args=(--no-e2e --steps 5 --warmup 3) ;;
    e2e) args=(--no-table --e2e-steps 10 --e2e-attn 1 --work /tmp) ;;
    all) args=(--steps 5 --warmup 3 --e2e-steps 10 --work /tmp) ;;
    *) echo "usage: gpu_session.sh [--fetch | table | e2e | all] [engine_gpu.py args]"; exit 2 ;;
esac
timeout 540 python3 benchmarks/engine_gpu.py "${args[@]}" "$@" 2>&1 | tee "$OUT/engine_gpu-$part.log"
