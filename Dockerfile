# Build stage: compiles TypeScript and better-sqlite3's native addon (from source when no
# prebuilt binary can be downloaded, hence python3, make and g++), then drops the development
# dependencies so that the runtime stage copies only what the receiver runs on.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build \
 && npm prune --omit=dev

# Runtime stage: production dependencies and compiled code only, as an unprivileged user.
# No config file is built in: config/example.json trusts a test key whose private half is
# public, so the image refuses to start until CONFIG_FILE names a file mounted into it:
#   docker run -v /etc/receiver:/config:ro -e CONFIG_FILE=/config/receiver.json -v receiver-data:/data …
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    DATABASE_URL=sqlite:/data/receiver.db \
    ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 8081
# /readyz is on the admin listener: ADMIN_PORT, reached on loopback (ADMIN_HOST 0.0.0.0 above).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || '8081') + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# On SIGTERM the receiver stops taking requests and finishes those in flight (up to 10 s), then
# the delivery attempts and polls in flight (up to 10 s more), then exits 0. The orchestrator's
# stop grace period must be longer than that, or the receiver is killed mid-way: give it 30 s
# (`docker run --stop-timeout 30`, compose `stop_grace_period: 30s`, Kubernetes'
# `terminationGracePeriodSeconds`, 30 by default). The entrypoint `exec`s node, so the signal
# reaches the receiver itself, not a shell or npm.
ENTRYPOINT ["/bin/sh", "-c", "[ -n \"${CONFIG_FILE:-}\" ] || { echo 'config: CONFIG_FILE: must be set: mount your config file into the container and set CONFIG_FILE to its path' >&2; exit 2; }; exec \"$@\"", "receiver"]
CMD ["node", "dist/src/server.js"]
