# One image for every slawatch service; the command picks the service:
#   python -m services.ingest.main      ingest HTTP API (port 8001)
#   python -m services.api.main         query API (port 8000, the default command)
#   python -m services.metrics.worker   Faust metrics worker (Prometheus on 9108)
#   python -m services.simulator.main --ingest-url http://ingest:8001
#   python -m services.core.db.migrate  database migrations (one-shot)
# Configuration comes from the environment only (services/core/settings.py); see
# deploy/README.md. Why two stages: the runtime image gets the installed virtualenv without
# the source tree, pip's build environment or any dev extra.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY services ./services
# The project without its `dev` extra: runtime dependencies only. pip byte-compiles while
# installing, so nothing needs writing at run time (read-only root filesystem).
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    METRICS_DATA_DIR=/var/lib/slawatch/faust
# A fixed numeric uid/gid so Kubernetes can verify runAsNonRoot; /var/lib/slawatch is the
# only directory the processes write (the worker's Faust data dir; an emptyDir in k8s).
RUN groupadd --system --gid 10001 slawatch \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin slawatch \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/slawatch
# Reports (docs/reports.md): WeasyPrint lays out PDFs with Pango/HarfBuzz; Noto CJK renders
# Chinese. From Debian's packages; nothing is fetched at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The demo agreements at the settings' default path (deploy/agreements/demo.yaml relative to
# the working directory); deployments mount their own file and point *_AGREEMENTS_FILE at it.
COPY deploy/agreements ./deploy/agreements
USER 10001:10001
EXPOSE 8000 8001 9108
CMD ["python", "-m", "services.api.main"]
