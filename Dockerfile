# Personagen: slim image, non-root user (uid 10001), profiles/ as a volume.
#
#   docker build -t personagen .
#   docker run --user "$(id -u):$(id -g)" -p 127.0.0.1:8000:8000 \
#       -v "$PWD/profiles:/data/profiles" --add-host=host.docker.internal:host-gateway personagen
#
# The entry point refuses to start, and says why, when the profiles folder is not writable.
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
COPY scripts/docker-entrypoint.sh /usr/local/bin/personagen-entrypoint
RUN pip install . && chown -R personagen:personagen /app \
    && chmod 0755 /usr/local/bin/personagen-entrypoint

USER personagen
VOLUME ["/data/profiles"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PERSONAGEN_PORT', '8000') + '/healthz', timeout=4)" || exit 1

ENTRYPOINT ["personagen-entrypoint"]
CMD ["personagen", "serve"]
