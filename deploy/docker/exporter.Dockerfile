# syntax=docker/dockerfile:1
# The slim image for monitored hosts: `inframind exporter` (default) and `inframind agent`.
# Only the `exporters` extra: no numpy, pandas, prophet or web framework (tests/integration/test_deploy_packages.py).
# Build from the repository root:
#   docker build -f deploy/docker/exporter.Dockerfile -t inframind/exporter .
# Run the agent instead: `docker run ... inframind/exporter agent`, with INFRAMIND_HEALTHCHECK_URL pointing at
# http://127.0.0.1:10122/-/healthy.

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY inframind ./inframind
RUN python -m venv /opt/inframind \
    && /opt/inframind/bin/pip install ".[exporters]" \
    && /opt/inframind/bin/python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('numpy', 'pandas', 'prophet')))"

FROM ${PYTHON_IMAGE}
# smartmontools: the SMART collector; freeipmi-tools and ipmitool: IPMI probes; snmp traps and SNMP need nothing.
# Versions follow the Debian release the base image is built on (security updates come with a rebuild).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends smartmontools freeipmi-tools ipmitool \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 inframind \
    && useradd --system --uid 10001 --gid inframind --home-dir /var/lib/inframind --create-home \
       --shell /usr/sbin/nologin inframind
COPY --from=build /opt/inframind /opt/inframind
COPY deploy/docker/healthcheck.py /opt/inframind/healthcheck.py
ENV PATH=/opt/inframind/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    INFRAMIND__EXPORTER__LISTEN=0.0.0.0:10121 \
    INFRAMIND__AGENT__LISTEN=0.0.0.0:10122 \
    INFRAMIND__AGENT__STATE_DIR=/var/lib/inframind/agent \
    INFRAMIND_HEALTHCHECK_URL=http://127.0.0.1:10121/-/healthy
WORKDIR /var/lib/inframind
USER 10001:10001
EXPOSE 10121 10122
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 \
    CMD ["python", "/opt/inframind/healthcheck.py"]
ENTRYPOINT ["inframind"]
CMD ["exporter"]
