# snapscan container image: the compiled CLI on the current Node LTS, production dependencies only.
#
#   docker build -t snapscan .                       # ~290 MB (see README "Container")
#   docker run --rm --read-only -v snapscan:/var/lib/snapscan snapscan scan --help
#
# Stages: `deps` installs production dependencies (better-sqlite3 compiled here when no prebuilt
# binary fits), `build` compiles TypeScript to dist/, the final stage copies both onto a slim base
# and runs as the unprivileged `node` user under tini, so SIGTERM from ECS reaches snapscan (PID 1
# would otherwise ignore it) and zombie worker processes are reaped.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /src
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
     node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
  && node -e "new (require('better-sqlite3'))(':memory:').close()"

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY engine ./engine
COPY readers ./readers
COPY workers ./workers
COPY scheduler ./scheduler
RUN npx tsc -p tsconfig.build.json

FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /var/lib/snapscan \
  && chown node:node /var/lib/snapscan
ENV NODE_ENV=production \
    SNAPSCAN_HOME=/var/lib/snapscan
WORKDIR /opt/snapscan
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json README.md ./
COPY bin ./bin
COPY schemas ./schemas
USER node
VOLUME ["/var/lib/snapscan"]
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD ["node", "/opt/snapscan/bin/snapscan.js", "health"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/snapscan/bin/snapscan.js"]
CMD ["--help"]
