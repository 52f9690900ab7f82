# syntax=docker/dockerfile:1.7
# One image for the five platform services. Start one with `python -m services.<name>`
# (gateway, workflow, registry, infra, assistant). The same image runs under
# docker-compose.yml and the Helm chart in deploy/helm/mlops.
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:22-slim

# --- web UI: the React SPA that the gateway serves ---------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/ ./
# Until web/ holds the app (package.json), the image ships an empty dist and the gateway
# answers / with a problem saying the UI is not built.
RUN --mount=type=cache,target=/root/.npm \
    if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; else mkdir -p dist; fi

# --- Python environment --------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# .dockerignore keeps the context to what the package needs.
COPY . .
# The control plane only: no torch (the trainer and inference servers have their own images).
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -c constraints.txt ".[infra,assistant]" \
    && python -c "import services, contracts"

# --- runtime ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="mlops-platform" \
      org.opencontainers.image.description="Self-hosted no-code MLOps platform services"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MLOPS_HOME=/var/lib/mlops \
    MLOPS_HTTP_HOST=0.0.0.0 \
    MLOPS_HTTP_PORT=8080 \
    MLOPS_LOG_LEVEL=INFO \
    MLOPS_WEB_DIST=/app/web/dist
RUN groupadd --system --gid 10001 mlops \
    && useradd --system --uid 10001 --gid mlops --home-dir /var/lib/mlops \
       --no-create-home --shell /usr/sbin/nologin mlops \
    && install -d -o mlops -g mlops -m 0750 /var/lib/mlops
COPY --from=build /opt/venv /opt/venv
COPY --from=web /src/web/dist /app/web/dist
WORKDIR /app
USER 10001:10001
EXPOSE 8000 8080
# slim has no curl: probe with the standard library on whatever port this service uses.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MLOPS_HTTP_PORT', '8080'), timeout=4)"]
CMD ["python", "-m", "services.gateway"]
