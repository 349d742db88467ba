# Balcão: one image for every role (api, worker, beat, mcp); compose picks the command.
# Multi-stage: the build stage has the compiler, the runtime stage only the virtualenv.
# No secret is baked in: settings come from the environment (env_file in compose.yaml).

FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# the runtime lock: the pinned dependencies without the development tools
COPY requirements-runtime.lock ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
      -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY api ./api
COPY crews ./crews
COPY flows ./flows
COPY mcp_servers ./mcp_servers
COPY sandbox ./sandbox
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps .

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home balcao \
 && mkdir -p /data \
 && chown balcao:balcao /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    BALCAO_API_HOST=0.0.0.0 \
    BALCAO_RUNS_DIR=/data/runs \
    BALCAO_AUDIT_DIR=/data/audit \
    QDRANT_PATH=/data/qdrant
WORKDIR /app
USER balcao
EXPOSE 8000 8765
ENTRYPOINT ["balcao"]
CMD ["api"]
