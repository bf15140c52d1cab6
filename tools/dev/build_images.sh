#!/usr/bin/env bash
# Builds the container images zhibiao/{storage,ingest,query,web,cli}:0.1.0 with
# podman from deploy/docker/Dockerfile.*, then checks them WITHOUT running a
# container: each image is mounted (podman image mount) and its binaries are
# run with chroot. See deploy/docker/README.md.
#
#   tools/dev/build_images.sh [--source=DIR] [--jobs=N]
#
# --source=DIR  build context (default: a clean `git archive HEAD` of this
#               repository, so uncommitted edits never reach an image). The
#               Dockerfiles and .containerignore always come from this checkout.
# --jobs=N      compile jobs in the builder stage (default: JOBS or 2).
#
# Needs root (podman image mount, chroot, bind mounts). Installs podman,
# debootstrap and uidmap from Debian when missing, and makes the base image
# localhost/debian:bookworm with debootstrap once. Prints one line per check
# and ends with `build_images: N passed, M failed`; exits 1 if any failed.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
version=0.1.0
base_image=localhost/debian:bookworm
images=(storage ingest query web cli)
declare -A port=([storage]=7410 [ingest]=7401 [query]=7402 [web]=7480)
source_dir=""
jobs=${JOBS:-2}
log_dir=${ZB_IMAGES_LOG_DIR:-/var/tmp/zhibiao-images}

for arg in "$@"; do
  case $arg in
    --source=*) source_dir=${arg#--source=} ;;
    --jobs=*) jobs=${arg#--jobs=} ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build_images: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "build_images: needs root (podman image mount, chroot)" >&2
  exit 2
fi

# Heavy steps yield to everything else on the machine.
heavy() { nice -n 19 ionice -c3 "$@"; }

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

start_time=$(date +%s)
work=$(mktemp -d /var/tmp/zb-images.XXXXXX)
mkdir -p "$log_dir"
mounted_images=()   # podman image mount, undone with podman image unmount
mount_points=()     # bind/proc mounts, undone in reverse order
pids=()             # service processes we started

cleanup() {
  local pid i
  trap '' INT TERM   # a second Ctrl-C must not cut the unmounting short
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  for ((i = ${#mount_points[@]} - 1; i >= 0; i--)); do
    umount "${mount_points[i]}" 2>/dev/null || umount -l "${mount_points[i]}" 2>/dev/null
  done
  for i in "${mounted_images[@]}"; do
    podman image unmount "$i" >/dev/null 2>&1
  done
  # Never follow a mount left under the work dir.
  if ! grep -q " $work" /proc/mounts; then rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
trap 'echo; fail "interrupted by a signal"; summary' INT TERM

summary() {
  echo "build_images: logs in $log_dir, $(( $(date +%s) - start_time )) s in all"
  echo "build_images: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# ---- tools -------------------------------------------------------------------
# podman builds with its built-in buildah (no separate buildah needed); as root
# on ext4/xfs the kernel's overlay driver serves, so no fuse-overlayfs.
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v newuidmap >/dev/null || missing+=(uidmap)
command -v curl >/dev/null || missing+=(curl)   # the web image is checked over HTTP
command -v npm >/dev/null || missing+=(npm)     # ECharts for the web image
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build_images: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { heavy apt-get update -qq && heavy apt-get install -y -qq --no-install-recommends \
           -o DPkg::Lock::Timeout=600 "${missing[@]}"; } >"$log_dir/apt.log" 2>&1; then
    tail -n 20 "$log_dir/apt.log"
    fail "install ${missing[*]} (see $log_dir/apt.log)"
    summary
  fi
fi
echo "build_images: $(podman --version), storage driver $(podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null)"

# ---- base image ----------------------------------------------------------------
if podman image exists "$base_image"; then
  pass "base image $base_image present"
else
  rootfs=$work/rootfs
  t0=$(date +%s)
  if heavy debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian \
       >"$log_dir/debootstrap.log" 2>&1; then
    # The same suites as a stock Debian 12 image, security updates included.
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # Smaller images: no recommends, no manuals or translations from later installs.
    echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/90zhibiao-no-recommends"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90zhibiao-excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
    # ...and the same for what debootstrap installed; no apt caches in the image.
    find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian/*
    rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
      "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
    if grep -q " $rootfs" /proc/mounts; then
      fail "debootstrap left mounts under $rootfs"
      summary
    fi
    if tar --numeric-owner -C "$rootfs" -c . |
         heavy podman import \
           --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
           --change 'CMD ["/bin/bash"]' - "$base_image" >>"$log_dir/debootstrap.log" 2>&1; then
      pass "base image $base_image made by debootstrap ($(( $(date +%s) - t0 )) s)"
    else
      tail -n 20 "$log_dir/debootstrap.log"
      fail "podman import of the base image (see $log_dir/debootstrap.log)"
      summary
    fi
    rm -rf --one-file-system "$rootfs"
  else
    tail -n 20 "$log_dir/debootstrap.log"
    fail "debootstrap bookworm (see $log_dir/debootstrap.log)"
    summary
  fi
fi

# ---- build context ---------------------------------------------------------------
if [ -n "$source_dir" ]; then
  context=$(cd "$source_dir" && pwd) || { fail "--source=$source_dir is not a folder"; summary; }
  echo "build_images: building from $context"
else
  context=$work/src
  mkdir -p "$context"
  if ! git -C "$repo" archive --format=tar HEAD | tar -x -C "$context"; then
    fail "git archive HEAD of $repo"
    summary
  fi
  note=""
  [ -n "$(git -C "$repo" status --porcelain --untracked-files=no -- . 2>/dev/null)" ] &&
    note=" (uncommitted changes in the work tree are left out)"
  echo "build_images: building commit $(git -C "$repo" rev-parse --short HEAD)$note"
fi

# ECharts for zhibiao-web, exactly as services/web/ui/package-lock.json says,
# installed here on the host with its npm and certificate setup (the builder
# stage has no npm) and sent with the build context.
ui=$context/services/web/ui
if [ ! -f "$ui/node_modules/echarts/dist/echarts.min.js" ]; then
  if (cd "$ui" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error) \
       >"$log_dir/npm.log" 2>&1; then
    pass "ECharts for the web image from services/web/ui/package-lock.json"
  else
    tail -n 20 "$log_dir/npm.log"
    fail "npm ci in services/web/ui (see $log_dir/npm.log)"
    summary
  fi
fi

# The builder stage must stay identical in the five Dockerfiles (one compile).
builder_sums=$(for x in "${images[@]}"; do
  sed -n '/^# ---- builder /,/^# ---- end of builder/p' "$repo/deploy/docker/Dockerfile.$x" | md5sum
done | sort -u)
if [ "$(wc -l <<<"$builder_sums")" -eq 1 ] &&
   [ "$(sed -n '/^# ---- builder /,/^# ---- end of builder/p' "$repo/deploy/docker/Dockerfile.storage" | wc -l)" -gt 10 ]; then
  pass "builder stage identical in the five Dockerfiles"
else
  fail "builder stage differs between deploy/docker/Dockerfile.* (the layer cache would compile more than once)"
fi

# ---- build -------------------------------------------------------------------------
built=()
for x in "${images[@]}"; do
  image=zhibiao/$x:$version
  t0=$(date +%s)
  if heavy podman build --isolation chroot --format docker --pull=never --layers \
       --build-arg JOBS="$jobs" --ignorefile "$repo/.containerignore" \
       -f "$repo/deploy/docker/Dockerfile.$x" -t "$image" "$context" >"$log_dir/build-$x.log" 2>&1; then
    compiled=$(grep -c 'Building CXX object' "$log_dir/build-$x.log")
    pass "build $image ($(( $(date +%s) - t0 )) s, $compiled compile steps)"
    built+=("$x")
    if [ "${#built[@]}" -gt 1 ] && [ "$compiled" -ne 0 ]; then
      fail "$x: builder stage not taken from the layer cache ($compiled compile steps again)"
    fi
  else
    tail -n 30 "$log_dir/build-$x.log"
    fail "build $image (see $log_dir/build-$x.log)"
  fi
done

# in_image X CMD...: CMD as uid 10001 in image X's root, with the image's ENV only.
in_image() {
  local x=$1 envs
  shift
  mapfile -t envs <"${env_file[$x]}"
  env -i "${envs[@]}" HOME=/tmp chroot --userspec=10001:10001 "${mnt[$x]}" "$@"
}

# ---- static checks of each image (no container is run) ----------------------------------
declare -A mnt env_file
for x in "${built[@]}"; do
  image=zhibiao/$x:$version
  m=$(podman image mount "$image" 2>"$log_dir/mount-$x.log")
  if [ -z "$m" ] || [ ! -d "$m/usr" ]; then
    fail "$x: podman image mount $image (see $log_dir/mount-$x.log)"
    continue
  fi
  mounted_images+=("$image")
  mnt[$x]=$m
  env_file[$x]=$work/env-$x
  podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" |
    grep -v '^$' >"${env_file[$x]}"
  inspect() { podman image inspect --format "$1" "$image" 2>/dev/null; }

  user=$(inspect '{{.Config.User}}')
  [ "$user" = 10001 ] && pass "$x: image user is 10001" || fail "$x: image user is '$user', not 10001"

  if [ "$x" = cli ]; then bin=zhibiao; else bin=zhibiao-$x; fi
  entry=$(inspect '{{json .Config.Entrypoint}}')
  [ "$entry" = "[\"/usr/local/bin/$bin\"]" ] && pass "$x: entrypoint $entry" ||
    fail "$x: entrypoint is $entry, not [\"/usr/local/bin/$bin\"]"

  if [ "$x" != cli ]; then
    p=${port[$x]}
    problems=""
    grep -qx "ZHIBIAO_LISTEN=0.0.0.0:$p" "${env_file[$x]}" || problems+=" no ENV ZHIBIAO_LISTEN=0.0.0.0:$p;"
    inspect '{{json .Config.ExposedPorts}}' | grep -q "\"$p/tcp\"" || problems+=" port $p not exposed;"
    health=$(inspect '{{json .HealthCheck}}')
    grep -q "probe.*127.0.0.1:$p" <<<"$health" || problems+=" no HEALTHCHECK probing 127.0.0.1:$p ($health);"
    if [ "$x" = storage ]; then
      grep -qx 'ZHIBIAO_DATA_DIR=/var/lib/zhibiao' "${env_file[$x]}" || problems+=" no ENV ZHIBIAO_DATA_DIR;"
      inspect '{{json .Config.Volumes}}' | grep -q '"/var/lib/zhibiao"' || problems+=" no VOLUME /var/lib/zhibiao;"
      owner=$(stat -c %u:%g "$m/var/lib/zhibiao" 2>/dev/null)
      [ "$owner" = 10001:10001 ] || problems+=" /var/lib/zhibiao owned by '$owner';"
    fi
    [ -z "$problems" ] && pass "$x: ENV, EXPOSE $p, HEALTHCHECK$([ "$x" = storage ] && echo ', VOLUME')" ||
      fail "$x: config:$problems"
  fi

  found=""
  for f in usr/bin/g++ usr/bin/gcc usr/bin/c++ usr/bin/cc usr/bin/cmake usr/bin/ld usr/bin/protoc src build out; do
    [ -e "$m/$f" ] && found+=" /$f"
  done
  [ -n "$(find "$m/usr/include" -name '*.h*' -print -quit 2>/dev/null)" ] && found+=" headers in /usr/include"
  [ -z "$found" ] && pass "$x: no compiler, headers or build tree (/usr/bin/g++ absent)" ||
    fail "$x: build leftovers:$found"

  if [ "$x" = cli ]; then bins=(zhibiao); else bins=("zhibiao-$x" zhibiao); fi
  for b in "${bins[@]}"; do
    unresolved=$(chroot "$m" /usr/bin/ldd "/usr/local/bin/$b" 2>&1 | grep -E 'not found|not a dynamic')
    [ -z "$unresolved" ] && pass "$x: every shared library of $b resolves" ||
      fail "$x: $b: $(tr '\n' ' ' <<<"$unresolved")"
  done

  # --help: absl prints a service's usage and exits 1; the CLI prints its own
  # and exits 0 (2 is a usage error).
  out=$(in_image "$x" "/usr/local/bin/$bin" --help 2>&1)
  rc=$?
  if [ "$x" = cli ]; then want="^zhibiao: turn Chinese"; want_rc=0; else want="^zhibiao-$x: zhibiao-$x: "; want_rc=1; fi
  if [ "$rc" -eq "$want_rc" ] && grep -q "$want" <<<"$out"; then
    pass "$x: $bin --help prints its usage (exit $want_rc)"
  else
    fail "$x: $bin --help exited $rc: $(head -n 3 <<<"$out" | tr '\n' ' ')"
  fi
  if [ "$x" = cli ]; then
    out=$(in_image cli /usr/local/bin/zhibiao 2>&1)
    rc=$?
    [ "$rc" -eq 2 ] && grep -q 'zhibiao probe HOST:PORT' <<<"$out" &&
      pass "cli: zhibiao without a command prints usage with 'probe' (exit 2)" ||
      fail "cli: zhibiao without a command exited $rc, usage $(grep -q 'zhibiao probe' <<<"$out" || echo 'without probe')"
  fi
done

# ---- the services from their images, in chroots on 127.0.0.1 ------------------------------
# Each mounted image gets /dev, /proc and a private writable /tmp.
prepare_root() {
  local x=$1 m=${mnt[$1]} t=$work/tmp-$1
  mkdir -p "$t" && chmod 1777 "$t"
  mount --bind "$t" "$m/tmp" && mount_points+=("$m/tmp") || return 1
  mount --bind /dev "$m/dev" && mount_points+=("$m/dev") || return 1
  mount -t proc proc "$m/proc" && mount_points+=("$m/proc") || return 1
}
declare -A svc_pid svc_port
start_service() {   # X [flags...]: starts zhibiao-X from image X on 127.0.0.1:0
  local x=$1 t=$work/tmp-$1 i
  shift
  rm -f "$t/port"
  # exec all the way down (subshell -> env -> chroot -> service): $! is the service.
  (
    mapfile -t envs <"${env_file[$x]}"
    exec env -i "${envs[@]}" HOME=/tmp chroot --userspec=10001:10001 "${mnt[$x]}" \
      "/usr/local/bin/zhibiao-$x" --listen=127.0.0.1:0 --port_file=/tmp/port "$@"
  ) >"$log_dir/run-$x.log" 2>&1 &
  svc_pid[$x]=$!
  pids+=("$!")
  for ((i = 0; i < 300; i++)); do
    if [ -s "$t/port" ] && grep -qE '^[0-9]+$' "$t/port"; then
      svc_port[$x]=$(cat "$t/port")
      pass "$x: zhibiao-$x started from its image as uid 10001, listening on 127.0.0.1:${svc_port[$x]}"
      return 0
    fi
    kill -0 "${svc_pid[$x]}" 2>/dev/null || break
    sleep 0.1
  done
  fail "$x: zhibiao-$x did not write its port file (see $log_dir/run-$x.log): $(tail -n 2 "$log_dir/run-$x.log" | tr '\n' ' ')"
  return 1
}
probe_service() {   # X: the image's own CLI, as its HEALTHCHECK runs it
  local x=$1 out rc i target="127.0.0.1:${svc_port[$1]}"
  [ "$x" = web ] && target="http://$target/healthz"
  for ((i = 0; i < 30; i++)); do
    out=$(in_image "$x" /usr/local/bin/zhibiao probe --timeout_ms=2000 "$target" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] && [ "$out" = SERVING ] && break
    [ "$rc" -eq 2 ] && break   # usage error: no probe command
    sleep 1
  done
  if [ "$rc" -eq 0 ] && [ "$out" = SERVING ]; then
    pass "$x: zhibiao probe $target prints SERVING"
  else
    fail "$x: zhibiao probe $target exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-200)"
  fi
}
stop_service() {   # X: SIGTERM, then exit status 0 within 20 s
  local x=$1 pid=${svc_pid[$1]} i rc
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    fail "$x: zhibiao-$x still running 20 s after SIGTERM"
    return
  fi
  wait "$pid"
  rc=$?
  [ "$rc" -eq 0 ] && pass "$x: SIGTERM, exit status 0" ||
    fail "$x: SIGTERM, exit status $rc (see $log_dir/run-$x.log)"
}

have() { [ -n "${mnt[$1]:-}" ]; }
roots_ok=1
for x in "${built[@]}"; do
  have "$x" || continue
  prepare_root "$x" || { fail "$x: bind /dev, /proc, /tmp into the image mount"; roots_ok=0; }
done
if [ "$roots_ok" -eq 1 ] && have storage; then
  if start_service storage --data_dir=/tmp/data; then
    probe_service storage
    started=()
    for x in ingest query; do
      have "$x" || continue
      start_service "$x" --storage="127.0.0.1:${svc_port[storage]}" && probe_service "$x" && started+=("$x")
    done
    # End to end: the CLI image ingests the bundled sample and queries it back.
    sample=$context/tests/data/xinxiang-2021.txt
    if have cli && [ -n "${svc_port[ingest]:-}" ] && [ -n "${svc_port[query]:-}" ] && [ -f "$sample" ]; then
      cp "$sample" "$work/tmp-cli/" && chmod 0644 "$work/tmp-cli/xinxiang-2021.txt"
      out=$(in_image cli /usr/local/bin/zhibiao ingest /tmp/xinxiang-2021.txt \
              --ingest="127.0.0.1:${svc_port[ingest]}" --json 2>&1)
      rc=$?
      [ "$rc" -eq 0 ] && grep -qE '"status": ?"(stored|replaced|unchanged)"' <<<"$out" &&
        pass "cli: zhibiao ingest of tests/data/xinxiang-2021.txt through the ingest image" ||
        fail "cli: zhibiao ingest exited $rc: $(cut -c1-200 <<<"$out")"
      out=$(in_image cli /usr/local/bin/zhibiao reports list --query="127.0.0.1:${svc_port[query]}" 2>&1)
      rc=$?
      [ "$rc" -eq 0 ] && grep -q '410700' <<<"$out" &&
        pass "cli: zhibiao reports list through the query image shows the sample (410700)" ||
        fail "cli: zhibiao reports list exited $rc: $(tr '\n' ' ' <<<"$out" | cut -c1-200)"
      # The web image over HTTP from this host (the chroots share its network).
      if have web && start_service web --query="127.0.0.1:${svc_port[query]}"; then
        probe_service web
        out=$(curl -s -m 10 -X POST -H 'Content-Type: application/json' -d '{}' \
                "http://127.0.0.1:${svc_port[web]}/v1/query/ListReports" 2>&1)
        grep -q '"code":"410700"' <<<"$out" &&
          pass "web: POST /v1/query/ListReports through the web image shows the sample (410700)" ||
          fail "web: POST /v1/query/ListReports: $(cut -c1-200 <<<"$out")"
        page=$(curl -s -m 10 "http://127.0.0.1:${svc_port[web]}/")
        grep -q '/assets/echarts.min.js' <<<"$page" && pass "web: the dashboard page is served" ||
          fail "web: GET / did not serve the dashboard"
        started+=(web)
      fi
    else
      echo "SKIP cli: end to end ingest and query (needs the cli, ingest and query images and tests/data/xinxiang-2021.txt)"
    fi
    for x in "${started[@]}"; do stop_service "$x"; done
    stop_service storage
  fi
fi

# ---- sizes ------------------------------------------------------------------------------
for x in "${built[@]}"; do
  bytes=$(podman image inspect --format '{{.Size}}' "zhibiao/$x:$version" 2>/dev/null)
  echo "size zhibiao/$x:$version $(( ${bytes:-0} / 1000000 )) MB"
done

summary
