# syntax=docker/dockerfile:1
# s3-ingest: build the single executable exactly as `bun run build` does, then ship it alone on
# a distroless base (glibc + libstdc++, no shell), as a non-root user, as PID 1 so SIGTERM
# reaches it and starts the drain.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json deno.json ./
COPY scripts ./scripts
COPY src ./src
ARG S3_INGEST_COMMIT=unknown
ENV S3_INGEST_COMMIT=${S3_INGEST_COMMIT}
RUN npx bun run build && ./dist/s3-ingest --version

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/s3-ingest /usr/local/bin/s3-ingest
USER nonroot
WORKDIR /home/nonroot
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/usr/local/bin/s3-ingest", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/s3-ingest"]
