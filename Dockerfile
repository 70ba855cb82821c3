# syntax=docker/dockerfile:1
# Image of the source-stock-ticker-api connector, for use as a custom connector in Airbyte.
#   docker build -t airbyte/source-stock-ticker-api:dev .
# BASE_IMAGE is metadata.yaml's connectorBuildOptions.baseImage, pinned by digest
# (unit_tests/test_metadata.py keeps the two equal). No Docker engine runs in CI here:
# integration_tests/test_image_recipe.py replays these steps in a fresh virtual environment.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73

# Stage 1: build the wheel from the package sources alone.
FROM ${BASE_IMAGE} AS builder
WORKDIR /build
COPY pyproject.toml README.md ./
COPY source_stock_ticker_api ./source_stock_ticker_api
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir dist .

# Stage 2: the runtime image holds the installed wheel and its dependencies, no sources.
FROM ${BASE_IMAGE}
WORKDIR /airbyte/integration_code
COPY --from=builder /build/dist ./dist
RUN python -m pip install --no-cache-dir dist/*.whl \
    && rm -rf dist

# The platform runs "$AIRBYTE_ENTRYPOINT spec|check|discover|read ..."; `docker run` uses ENTRYPOINT.
ENV AIRBYTE_ENTRYPOINT="source-stock-ticker-api"
ENTRYPOINT ["source-stock-ticker-api"]

LABEL io.airbyte.name=airbyte/source-stock-ticker-api
LABEL io.airbyte.version=0.5.0

USER airbyte
