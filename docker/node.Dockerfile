# The chaosnet node image: `chaosnet-node` in a virtualenv, nothing else.
#
# BASE_IMAGE: python:3.12-slim online; offline, chaosnet/base:bookworm from
# scripts/build-base-image.sh (Debian's Python 3.11). The build context holds wheels/ with the
# project's wheel; with PIP_OFFLINE=1 it also holds every dependency and pip never leaves it.
# `chaosnet images build` prepares that context; by hand:
#   pip wheel --no-deps -w ctx/wheels . && docker build -f docker/node.Dockerfile ctx
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}
ARG PIP_OFFLINE=0
LABEL chaosnet=1
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/chaosnet/bin:$PATH
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/chaosnet \
    && if [ "$PIP_OFFLINE" = 1 ]; then set -- --no-index; else set --; fi \
    && /opt/chaosnet/bin/pip install --no-cache-dir "$@" --find-links /tmp/wheels /tmp/wheels/chaosnet-*.whl \
    && rm -rf /tmp/wheels \
    && mkdir -p /data /etc/chaosnet
VOLUME /data
EXPOSE 8000
ENTRYPOINT ["chaosnet-node"]
CMD ["--port=8000", "--host=0.0.0.0", "--data-dir=/data"]
