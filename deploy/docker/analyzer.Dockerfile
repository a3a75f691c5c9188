# syntax=docker/dockerfile:1
# The analyzer: REST API, detectors, forecasts, delivery (`inframind analyzer`), with the `analyzer` extra.
# Build from the repository root:
#   docker build -f deploy/docker/analyzer.Dockerfile -t inframind/analyzer .
# State: SQLite under /var/lib/inframind/analyzer (a volume) on one node, PostgreSQL for several replicas
# (INFRAMIND__ANALYZER__STATE__BACKEND=postgres and a DSN secret); see docs/scaling.md.

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY inframind ./inframind
RUN python -m venv /opt/inframind \
    && /opt/inframind/bin/pip install ".[analyzer]"

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 inframind \
    && useradd --system --uid 10001 --gid inframind --home-dir /var/lib/inframind --create-home \
       --shell /usr/sbin/nologin inframind \
    && mkdir -p /var/lib/inframind/analyzer /srv/seed/rules /srv/seed/alertmanager /srv/seed/grafana /srv/seed/dashboards /srv/seed/vmagent \
    && chown -R 10001:10001 /var/lib/inframind /srv/seed
COPY --from=build /opt/inframind /opt/inframind
COPY deploy/docker/healthcheck.py deploy/docker/render_alertmanager.py /opt/inframind/
# Log rules are read from rules/logs/*.yml relative to the working directory (analyzer.logs.rules). The rest is
# what the Portainer stack's one-shot `config` service copies into volumes (no bind mounts there): alert and
# recording rules for vmalert, the Alertmanager template, Grafana provisioning and dashboards, the scrape config;
# /srv/seed/* are its volumes' mount points, owned by the image's user so a fresh named volume is writable.
COPY rules /srv/inframind/rules
COPY alertmanager /srv/inframind/alertmanager
COPY grafana/provisioning /srv/inframind/grafana/provisioning
COPY grafana/dashboards /srv/inframind/grafana/dashboards
COPY deploy/compose/vmagent /srv/inframind/vmagent
ENV PATH=/opt/inframind/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    INFRAMIND__ANALYZER__LISTEN=0.0.0.0:8050 \
    INFRAMIND__ANALYZER__STATE_DIR=/var/lib/inframind/analyzer \
    INFRAMIND_HEALTHCHECK_URL=http://127.0.0.1:8050/health
WORKDIR /srv/inframind
USER 10001:10001
VOLUME ["/var/lib/inframind"]
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 \
    CMD ["python", "/opt/inframind/healthcheck.py"]
ENTRYPOINT ["inframind"]
CMD ["analyzer"]
