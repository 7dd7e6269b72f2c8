# The hf-webhooks server image: the program as released (the standalone archive, which brings its
# own Java runtime), a POSIX shell and Python 3, serving /app/handlers on 0.0.0.0:7860 as uid 1000,
# the way a Hugging Face Space runs it. README, "The image", says how to build, run and
# test it (image/test.sh).
#
# It is built from the release archive, not from source, so it holds no build tools: run
# `./mvnw -B verify` (or package) first, which assembles the archive under cli/target. A release
# builds the published image from this same file (jreleaser.yml, the hf-webhooks-image
# distribution): there the archive sits in the build context's assembly/ folder and ARCHIVE says so.
#
# BASE_IMAGE: any Debian bookworm image (image/test.sh passes one made by debootstrap). The
# default is the real one, fully qualified so that it resolves without registry settings. Both
# stages are linux/amd64, the platform of the archive's runtime, also when built on an ARM machine.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

# Stage 1 unpacks the archive (ADD unpacks a .tgz: hf-webhooks-VERSION-linux-x86_64/ with bin/,
# the runtime and jars/) to a path without the version, so that stage 2 copies it in one layer.
FROM --platform=linux/amd64 ${BASE_IMAGE} AS program
ARG ARCHIVE=cli/target/jreleaser/assemble/hf-webhooks-standalone/jlink/hf-webhooks-*-linux-x86_64.tgz
ADD ${ARCHIVE} /opt/
RUN set -- /opt/hf-webhooks-*-linux-x86_64 \
    && if [ "$#" -ne 1 ] || [ ! -d "$1" ]; then \
         echo "expected one release archive in the build context, found: $*" >&2; exit 1; \
       fi \
    && mv "$1" /opt/hf-webhooks

FROM --platform=linux/amd64 ${BASE_IMAGE}

# Python 3 for .py handlers, with Debian's pydantic (huggingface_hub's WebhookPayload is a pydantic
# model) so that an app.py validates payloads with nothing fetched from PyPI; the CA certificates
# for handlers (and pip) that call HTTPS services; tini as process 1, so that what a handler leaves
# running in the background is reaped when it exits, and SIGTERM reaches the server.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv \
      python3-pydantic tini \
    && rm -rf /var/lib/apt/lists/*

# Spaces run the container as uid 1000: that user, with a home, owns the handlers folder and the
# virtual environment, so that a Space's Dockerfile (which runs as uid 1000 too) can copy handlers
# in and `pip install -r requirements.txt` into the environment. It sees Debian's packages
# (--system-site-packages), so a requirement they already satisfy installs nothing. serve finds
# this Python through VIRTUAL_ENV.
RUN useradd --create-home --uid 1000 user \
    && python3 -m venv --system-site-packages /opt/venv \
    && mkdir -p /app/handlers /data \
    && chown -R 1000:1000 /opt/venv /app /data \
    && ln -s /opt/hf-webhooks/bin/hf-webhooks /usr/local/bin/hf-webhooks
# The journal (serve's default data dir is $XDG_STATE_HOME/hf-webhooks) lives in /data, where a
# Space mounts its storage and `docker run -v` a volume: with one it outlives the container,
# without one it is the container's, as the rest of its disk.
ENV HOME=/home/user \
    XDG_STATE_HOME=/data \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The program; `hf-webhooks` is on PATH too, so that `docker exec CONTAINER hf-webhooks
# deliveries` reads the journal.
COPY --from=program /opt/hf-webhooks/ /opt/hf-webhooks/

# WEBHOOK_SECRET (a Space secret) is the secret serve checks. SPACE_HOST, which Spaces set, gives
# the public URL serve prints.
USER 1000:1000
WORKDIR /app
EXPOSE 7860
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/hf-webhooks/bin/hf-webhooks"]
CMD ["serve", "--host", "0.0.0.0", "--port", "7860", "--dir", "/app/handlers"]
