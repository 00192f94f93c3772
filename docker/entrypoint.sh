#!/bin/sh
# aigve container entry point.
#   (no argument) | serve [aigve serve options]   the evaluation service on $AIGVE_SERVICE_HOST:$AIGVE_SERVICE_PORT
#   run CONFIG ... | metrics | weights ... | cache ...   the aigve CLI
#   prepare [options]                              scripts/prepare_annotations.py (pair, stage, compute)
#   call [options]                                 scripts/call_aigve_api.py (client of another service)
#   python ... | bash ... | sh ...                 run that command
# REQUIRE_GPU=1 stops the container when CUDA is not available (default: run on CPU).
set -eu

if [ "${REQUIRE_GPU:-0}" = "1" ]; then
    if ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
        echo "aigve: REQUIRE_GPU=1 but CUDA is not available (run with --gpus all on an NVIDIA host)" >&2
        exit 1
    fi
fi

command="${1:-serve}"
if [ "$#" -gt 0 ]; then
    shift
fi

case "$command" in
    serve|api)
        exec aigve serve --host "${AIGVE_SERVICE_HOST:-0.0.0.0}" --port "${AIGVE_SERVICE_PORT:-2200}" "$@" ;;
    run|metrics|weights|cache)
        exec aigve "$command" "$@" ;;
    aigve)
        exec aigve "$@" ;;
    prepare|prepare_annotations)
        exec python /opt/aigve/scripts/prepare_annotations.py "$@" ;;
    call)
        exec python /opt/aigve/scripts/call_aigve_api.py "$@" ;;
    python|python3|bash|sh)
        exec "$command" "$@" ;;
    *)
        echo "aigve: unknown command '$command'; use serve, run, metrics, weights, cache, prepare, call, python" >&2
        exit 2 ;;
esac
