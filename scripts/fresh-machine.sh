#!/usr/bin/env bash
# The README's two commands on a fresh machine: a minimal Debian 12 chroot
# (debootstrap --variant=minbase) holding only Go and Node.js (copied from
# this machine), a clean clone of this checkout, then `make test` and
# `make run` (checked through `/readyz` and `/`). Libraries' default
# PostgreSQL port is pointed at 5433 (PGPORT), as on a machine where
# another server holds 5432 and Debian made its own cluster on 5433; this
# machine's own PostgreSQL, if any, keeps listening on 5432 meanwhile.
# Needs root and the network (Debian's mirror, the Go proxy, npm). Not part
# of `make test`. Usage: sudo scripts/fresh-machine.sh [DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/.data/fresh}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
port=${FRESH_PORT:-3999}
mkdir -p "$root/.data"
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine.sh: run as root (debootstrap and chroot)" >&2; exit 2; }

command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
if [ ! -x "$dir/usr/bin/apt-get" ]; then
  echo "fresh-machine.sh: debootstrap bookworm into $dir" >&2
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$root/.data/fresh-debootstrap.log" 2>&1 \
    || { tail -n 20 "$root/.data/fresh-debootstrap.log" >&2; exit 1; }
fi

# Only Go and Node.js, as a developer's machine would have them.
rm -rf "$dir/usr/local/go" && cp -a "$(go env GOROOT)" "$dir/usr/local/go"
cp -a "$(readlink -f "$(command -v node)")" "$dir/usr/bin/node"
npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$dir/usr/lib/node_modules" && rm -rf "$dir/usr/lib/node_modules/npm" && cp -a "$npm_root" "$dir/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/bin/npx"
# The machine's network settings: its resolver, and the certificate
# authorities it adds (a proxy that inspects HTTPS), trusted by the chroot's
# ca-certificates below.
cp /etc/resolv.conf "$dir/etc/resolv.conf"
mkdir -p "$dir/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true

rm -rf "$dir/work/hubtalks" && mkdir -p "$dir/work" && git clone -q "$root" "$dir/work/hubtalks"

mounts=(proc sys dev dev/pts dev/shm)
cleanup() {
  [ -n "${run_pid:-}" ] && kill -- -"$run_pid" 2>/dev/null || true
  pkill -f "$dir/work/hubtalks" 2>/dev/null || true
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "$dir/${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in "${mounts[@]}"; do mkdir -p "$dir/$m" && mount --bind "/$m" "$dir/$m"; done

in_chroot() {
  chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 PGPORT=5433 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt GOPROXY="$(go env GOPROXY)" GOFLAGS="$(go env GOFLAGS)" PORT="$port" \
    /bin/bash -c "cd /work/hubtalks && $1"
}

# What someone who cloned the repository and reads "make run" has: git,
# make, and the certificates of HTTPS (the Go proxy, npm).
in_chroot "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make git ca-certificates >/dev/null && update-ca-certificates >/dev/null" \
  || { echo "fresh-machine.sh: could not install make and git in the chroot" >&2; exit 1; }

echo "fresh-machine.sh: make test (in the chroot)" >&2
in_chroot "make test" >"$root/.data/fresh-make-test.log" 2>&1 \
  || { tail -n 40 "$root/.data/fresh-make-test.log" >&2; echo "fresh-machine.sh: make test FAILED (log: .data/fresh-make-test.log)" >&2; exit 1; }
echo "fresh-machine.sh: make test passed" >&2

echo "fresh-machine.sh: make run (in the chroot, port $port)" >&2
setsid bash -c "$(declare -f in_chroot); dir='$dir' port='$port'; in_chroot 'make run'" >"$root/.data/fresh-make-run.log" 2>&1 &
run_pid=$!
ok=""
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$port/" | grep -q '<div id="app"'; then
    ok=1
    break
  fi
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 2
done
if [ -z "$ok" ]; then
  tail -n 40 "$root/.data/fresh-make-run.log" >&2
  echo "fresh-machine.sh: make run did not serve /readyz and / (log: .data/fresh-make-run.log)" >&2
  exit 1
fi
echo "fresh-machine.sh: make run serves /readyz and / on :$port; both commands pass on a fresh Debian 12" >&2
