# syntax=docker/dockerfile:1
# One image per service, built from the repository root:
#   docker build --target gateway -t gatehouse-gateway .
# Targets: gateway, auth, audit (production: compiled JavaScript, production
# dependencies only, non-root, `node` as PID 1) and gateway-dev, auth-dev,
# audit-dev (what `skaffold dev` runs: TypeScript sources under `tsx watch`,
# so synced files reload without a rebuild). The same Kubernetes manifests run
# on both kinds (`skaffold run` puts production images on the dev overlay), so
# a command in a manifest must work in both; deploy/test/run-manifests.test.ts
# runs every one of them in each kind's file layout.

# Matches the Node.js the project is developed and tested with (engines >= 20.19).
# The digest is the tag's as pinned in several public repositories' Dockerfiles
# (found by code search; no registry was reachable here); check it with
# `docker buildx imagetools inspect node:20.20.2-bookworm-slim`.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

FROM ${NODE_IMAGE} AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
# `kubectl exec deploy/auth -- gatehouse …` (docs/operations.md): the CLI's bin
# arrives with the workspace files in the later stages.
RUN ln -s /app/packages/cli/bin/gatehouse.js /usr/local/bin/gatehouse

# Only the package manifests, at their workspace paths, so the dependency
# layers below are reused until a package.json or the lock file changes.
FROM base AS manifests
COPY . /src
RUN cd /src \
 && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
  | tar -cf - -T - | tar -xf - -C /app

# Every dependency (dev included): the compiler, and tsx for the dev targets.
FROM base AS deps
COPY --from=manifests /app/ ./
RUN --mount=type=cache,target=/root/.npm npm ci

# tsc -b compiles every workspace; each workspace's own build script then adds
# what tsc does not make (the audit console's Vite bundle in packages/console).
FROM deps AS build
COPY . .
RUN npx tsc -b \
 && npm run build --workspaces --if-present \
 && mkdir /out \
 && for dir in packages/* services/*; do \
      mkdir -p "/out/$dir"; \
      for part in bin dist migrations; do \
        if [ -d "$dir/$part" ]; then cp -r "$dir/$part" "/out/$dir/"; fi; \
      done; \
    done

# Production dependencies of all workspaces (npm workspaces install one tree),
# then the compiled output of every workspace (with the `gatehouse` CLI's bin/
# and the services' migrations) and the migration Job's entry point.
FROM base AS release
COPY --from=manifests /app/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev \
 && npm cache clean --force
COPY --from=build /out/ ./
COPY deploy/docker/migrate.mjs deploy/docker/migrate.mjs
ENV NODE_ENV=production
# The numeric uid of the image's `node` user, so Kubernetes' runAsNonRoot can
# check it.
USER 1000:1000

# `node` is PID 1 (exec form, no shell): SIGTERM reaches the service, whose
# close-with-grace handler drains requests, consumers and clients.
FROM release AS gateway
EXPOSE 8080
CMD ["node", "--import", "@gatehouse/telemetry/register", "services/gateway/dist/server.js"]

FROM release AS auth
EXPOSE 8081
CMD ["node", "--import", "@gatehouse/telemetry/register", "services/auth/dist/server.js"]

FROM release AS audit
EXPOSE 8082
CMD ["node", "--import", "@gatehouse/telemetry/register", "services/audit/dist/server.js"]

# Development: sources plus every dependency, owned by the runtime user so
# skaffold's file sync can overwrite them. There is no dist/: NODE_OPTIONS makes
# every `node` in the image (the services under `tsx watch`, the migration
# Job's `node deploy/docker/migrate.mjs`, the `gatehouse` CLI) resolve the
# workspace packages to their TypeScript sources and load them through tsx.
FROM deps AS dev
COPY --chown=1000:1000 . .
ENV NODE_ENV=development \
    NODE_OPTIONS="--conditions=gatehouse-source --import=tsx"
USER 1000:1000

FROM dev AS gateway-dev
EXPOSE 8080
CMD ["node_modules/.bin/tsx", "watch", "services/gateway/src/server.ts"]

FROM dev AS auth-dev
EXPOSE 8081
CMD ["node_modules/.bin/tsx", "watch", "services/auth/src/server.ts"]

FROM dev AS audit-dev
EXPOSE 8082
CMD ["node_modules/.bin/tsx", "watch", "services/audit/src/server.ts"]
