# One image for both roles of the crébitos backend: the gRPC ledger or an HTTP facade,
# chosen by the command (docker-compose.yml sets it per service):
#   node dist/ledger-service/main.js   |   node dist/http-facade/main.js
# Three stages: build the TypeScript with every dependency, install the production
# dependencies alone, then a slim runtime with only dist/ and those, run as a
# non-root user, without npm. Checked statically by tests/deploy-dockerfile.test.ts.

# Node 24 is the current LTS line; the tag pins the exact release and Debian base.
ARG NODE_IMAGE=node:24.20.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the build needs none (the compiler ships as a platform
# package), and skipping them keeps third-party code out of the build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY common ./common
COPY ledger-service ./ledger-service
COPY http-facade ./http-facade
COPY stack ./stack
COPY loadtest ./loadtest
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# npm, npx and corepack are build tools: the runtime only needs node.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
ENV NODE_ENV=production
COPY --chown=root:root package.json ./
COPY --from=production-dependencies --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The files belong to root and the process runs as `node` (uid 1000): it cannot
# rewrite its own code.
USER node
EXPOSE 50051 8080
# SIGTERM reaches node directly (exec form), which shuts down gracefully.
CMD ["node", "dist/ledger-service/main.js"]
