#!/usr/bin/env bash
# Create .venv and install aigve with every extra and the test tools. Works on CPU-only and CUDA machines:
# the torch 2.14.1 wheels from PyPI carry CUDA and run on the CPU when no GPU is present.
#   ./setup_env.sh            # all extras + test tools into ./.venv
#   VENV=/path/venv ./setup_env.sh
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu ./setup_env.sh   # smaller CPU-only torch, where reachable
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
. "$VENV/bin/activate"
python -m pip install -q --upgrade pip
torch_args=()
if [ -n "${TORCH_INDEX_URL:-}" ]; then torch_args=(--index-url "$TORCH_INDEX_URL"); fi
# pip (not uv/poetry): on the project machines these two wheels come from local disk
python -m pip install -q "${torch_args[@]}" torch==2.14.1 torchvision==0.29.1
python -m pip install -q -e ".[all,test]"
python -m pip check
python -c "import torch, aigve; print('aigve', aigve.__version__, '| torch', torch.__version__, '| cuda', torch.cuda.is_available())"
