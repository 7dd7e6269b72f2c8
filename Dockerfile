# hf-webhooks on a Hugging Face Space (Docker SDK): serves the handlers/ folder on port 7860, the
# port Spaces route to. README, "Deploy to a Space", walks through it.
#
# Stage 1 builds the jars with the Maven wrapper: no tests (CI runs them) and no release
# archives (the image needs only the jars). Handlers are copied in stage 2 only, so editing them
# does not rebuild the program.
FROM eclipse-temurin:25-jdk-noble AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY payloads/ payloads/
COPY cli/ cli/
RUN ./mvnw -B -q -Dmaven.test.skip=true -Djreleaser.skip package

# Stage 2: a Java runtime, the jars, the launcher (it finds this image's Java by itself and passes
# the JVM options GraalVM's JavaScript engine needs), Python 3 for .py handlers, and the handlers.
# Python runs from a virtual environment that also sees Ubuntu's pydantic (so WebhookPayload
# validates without any download); serve finds it through VIRTUAL_ENV.
FROM eclipse-temurin:25-jre-noble
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-pydantic \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv --system-site-packages /opt/venv
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY --from=build /src/cli/target/lib/ lib/
COPY --from=build /src/cli/target/hf-webhooks-*.jar /src/cli/src/main/launcher/find-java.sh lib/
COPY --from=build /src/cli/src/main/launcher/hf-webhooks bin/
COPY handlers/ handlers/
# The handlers' own Python packages, when they list them (huggingface_hub's guide does).
RUN if [ -f handlers/requirements.txt ]; then \
      pip install --no-cache-dir -r handlers/requirements.txt; \
    fi

# Spaces run the container as uid 1000 (in Ubuntu 24.04 images, the user "ubuntu"): run as it
# here too, so the image behaves the same on a laptop. WEBHOOK_SECRET comes from the Space's
# secrets, as an environment variable that serve reads; SPACE_HOST, set by Spaces, gives the
# public URL it prints.
USER 1000:1000
EXPOSE 7860
ENTRYPOINT ["/app/bin/hf-webhooks"]
CMD ["serve", "--host", "0.0.0.0", "--port", "7860", "--dir", "/app/handlers"]
