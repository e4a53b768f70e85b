# Personagen: slim image, non-root user, profiles/ as a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PERSONAGEN_HOST=0.0.0.0 \
    PERSONAGEN_PORT=8000 \
    PERSONAGEN_PROFILES_DIR=/data/profiles \
    OLLAMA_HOST=http://host.docker.internal:11434

RUN useradd --create-home --uid 10001 personagen \
    && mkdir -p /data/profiles \
    && chown -R personagen:personagen /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY web ./web
RUN pip install . && chown -R personagen:personagen /app

USER personagen
VOLUME ["/data/profiles"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PERSONAGEN_PORT', '8000') + '/healthz', timeout=4)" || exit 1

CMD ["personagen", "serve"]
