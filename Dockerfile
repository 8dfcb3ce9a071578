# syntax=docker/dockerfile:1
#
# One image for every Porter process; the entry point is the `porter` CLI:
#   docker run --rm porter worker | run --follow | db migrate | legacy-sim …
#
# Stages: `manifests` holds what npm needs to install (every workspace's
# package.json and the lockfile); `build` installs everything and compiles;
# `runtime` installs production dependencies only and takes the compiled
# dist folders and the SQL migrations from `build`. Runs as the `node` user.
#
# Every workspace listed in package.json must have its package.json copied
# below, or `npm ci` refuses the lockfile: e2e/dockerfile.test.ts checks it.

ARG NODE_IMAGE=node:22-slim

FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
ENV NPM_CONFIG_AUDIT=false NPM_CONFIG_FUND=false NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/
COPY apps/dashboard/package.json apps/dashboard/
COPY apps/enqueuer/package.json apps/enqueuer/
COPY apps/legacy-sim/package.json apps/legacy-sim/
COPY apps/worker/package.json apps/worker/
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/failures/package.json packages/failures/
COPY packages/logger/package.json packages/logger/
COPY packages/queue/package.json packages/queue/
COPY packages/runs/package.json packages/runs/
COPY packages/archive/package.json packages/archive/
COPY packages/source/package.json packages/source/
COPY packages/testing/package.json packages/testing/
COPY bench/package.json bench/

FROM manifests AS build
ENV TURBO_TELEMETRY_DISABLED=1
# --ignore-scripts: the only install script in the tree (msgpackr-extract)
# would compile a native addon that its prebuilt platform package provides.
RUN npm ci --ignore-scripts
COPY . .
# The CLI and every workspace it depends on.
RUN npx turbo run build --filter=@porter/cli...

FROM manifests AS runtime
ENV NODE_ENV=production
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/packages/config/dist packages/config/dist
COPY --from=build /app/packages/db/dist packages/db/dist
COPY --from=build /app/packages/failures/dist packages/failures/dist
COPY --from=build /app/packages/logger/dist packages/logger/dist
COPY --from=build /app/packages/queue/dist packages/queue/dist
COPY --from=build /app/packages/runs/dist packages/runs/dist
COPY --from=build /app/packages/archive/dist packages/archive/dist
COPY --from=build /app/packages/source/dist packages/source/dist
COPY --from=build /app/apps/dashboard/dist apps/dashboard/dist
COPY --from=build /app/apps/enqueuer/dist apps/enqueuer/dist
COPY --from=build /app/apps/legacy-sim/dist apps/legacy-sim/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
COPY --from=build /app/apps/cli/dist apps/cli/dist
COPY apps/cli/bin apps/cli/bin
# `porter db migrate` reads the committed SQL from here (packages/db/src/migrate.ts).
COPY packages/db/drizzle packages/db/drizzle
COPY packages/db/drizzle-archive packages/db/drizzle-archive
USER node
# The worker's /metrics, /healthz, /readyz (METRICS_PORT); the dashboard's PORT.
EXPOSE 9464 3000
ENTRYPOINT ["node", "/app/apps/cli/bin/porter.js"]
CMD ["--help"]
