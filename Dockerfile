# syntax=docker/dockerfile:1
# The csm-graph image: one image for the API (`csm-graph serve`) and the
# worker (`csm-graph worker`). Dependencies come from uv.lock, exactly.

FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
# The uv version the Makefile pins.
RUN pip install uv==0.13.8

WORKDIR /app
# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable


FROM python:3.11-slim

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    VAR_DIR=/app/var

RUN groupadd --system --gid 10001 csm \
    && useradd --system --uid 10001 --gid csm --home-dir /app --no-create-home csm
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
RUN mkdir -p /app/var && chown csm:csm /app/var

USER csm
EXPOSE 8000
VOLUME ["/app/var"]

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/readyz', timeout=4)"]

CMD ["csm-graph", "serve"]
