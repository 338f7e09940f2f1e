# Mesh Assistant as a sidecar: one image, two entry points.
#   hub:  docker run -v mesh-data:/data -v ./certs:/certs:ro -p 7420:7420 -p 7422:7422 -p 7421:7421 mesh-assistant
#   node: docker run --no-healthcheck -v mesh-ws:/data -e MESH_HUB=hub.example:7420 -e MESH_NODE_ID=n1 -e MESH_NODE_TOKEN=... mesh-assistant node --tls-ca /certs/ca.pem
# The hub listens on all interfaces inside the container, so gRPC needs TLS
# (mount /certs) and MCP over HTTP asks the bearer token in /data/http-token.

# --- build: compile TypeScript, then keep only production dependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /src
# sqlite3 builds from source when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
RUN npm run build && npm prune --omit=dev

# --- run: no compilers, no dev dependencies, not root ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MESH_DATA_DIR=/data \
    MESH_WORKSPACE=/data \
    MESH_GRPC=0.0.0.0:7420 \
    MESH_GRPC_FETCH=0.0.0.0:7422 \
    MESH_HTTP=0.0.0.0:7421
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/proto ./proto
# The image's own `node` user (uid 1000); the data folder is its, owner-only.
RUN mkdir -p /data /certs && chown node:node /data && chmod 0700 /data
USER node
VOLUME /data
EXPOSE 7420 7421 7422
# Liveness through the hub's own endpoint. A node has no HTTP listener: run node containers with --no-healthcheck.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7421/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["hub", "--tls-cert", "/certs/tls.crt", "--tls-key", "/certs/tls.key"]
