# aigve: evaluation service (default) or CLI, for CPU or CUDA hosts.
#
#   docker build -t aigve:cpu .                             # CPU-only torch wheels (smaller image)
#   docker build -t aigve:cuda --build-arg VARIANT=cuda .   # CUDA torch wheels from PyPI (needs an NVIDIA host
#                                                           # with the NVIDIA Container Toolkit: docker run --gpus all)
#   docker run -p 2200:2200 -v aigve-data:/var/lib/aigve -v /srv/videos:/data:ro \
#       -e AIGVE_SERVICE_DATA_ROOTS=/data -e AIGVE_SERVICE_TOKEN=change-me aigve:cpu
#   docker run --rm -v $PWD/clips:/data aigve:cpu prepare --input-dir /data --compute --metrics TemporalFlickering
#
# The CUDA image also runs on a CPU host (torch falls back to CPU); set REQUIRE_GPU=1 to refuse that instead.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ARG VARIANT=cpu
ARG TORCH_VERSION=2.14.1
ARG TORCHVISION_VERSION=0.29.1
ARG TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIGVE_HOME=/var/lib/aigve \
    AIGVE_SERVICE_DATA_DIR=/var/lib/aigve/service \
    AIGVE_SERVICE_HOST=0.0.0.0 \
    AIGVE_SERVICE_PORT=2200 \
    AIGVE_CONFIGS_DIR=/opt/aigve/configs \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

# tini reaps the job processes and forwards SIGTERM (running jobs are then marked interrupted, resumable);
# libglib2.0-0 is needed by opencv-python-headless. Video decoding uses the FFmpeg bundled in the eva-decord
# and PyAV wheels, so no system FFmpeg is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

# torch first, from the index that matches VARIANT, so that installing aigve keeps it.
RUN set -eu; \
    case "$VARIANT" in \
      cpu)  pip install --index-url "$TORCH_CPU_INDEX" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" ;; \
      cuda) pip install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" ;; \
      *)    echo "VARIANT must be cpu or cuda, but got '$VARIANT'" >&2; exit 1 ;; \
    esac

WORKDIR /opt/aigve
COPY pyproject.toml README.md main_aigve.py ./
COPY aigve ./aigve
COPY configs ./configs
COPY scripts ./scripts
RUN pip install ".[all]" && python -c "import aigve, fastapi, uvicorn, decord, av; print('aigve', aigve.__version__)"

COPY docker/entrypoint.sh /usr/local/bin/aigve-entrypoint
RUN chmod 0755 /usr/local/bin/aigve-entrypoint \
    && useradd --create-home --uid 1000 aigve \
    && mkdir -p /var/lib/aigve/service \
    && chown -R aigve:aigve /var/lib/aigve

USER aigve
VOLUME ["/var/lib/aigve"]
EXPOSE 2200
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('AIGVE_SERVICE_PORT', '2200'), timeout=4)" || exit 1

ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/aigve-entrypoint"]
CMD ["serve"]
