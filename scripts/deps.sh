#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install every Debian package that building, testing and the demo need (`make`, `make test`,
# `make demo` and `make install`'s unit check), starting from a minimal Debian 12 root that has
# only the README's prerequisites (git, make), and the Go releases Debian does not package.
# `make bench` needs more; bench/deps.sh owns those packages. Idempotent: when all packages are
# present at the wanted versions and every Go toolchain is there it does nothing and needs no
# network. libbpf, bpftool, elfutils and libdebuginfod come from bookworm-backports (libbpf 1.4
# with uprobe.multi, bpftool 7.5, elfutils 0.192); clang-19 is in bookworm itself.
#
# `scripts/deps.sh --deb` (what `make deb` and `make deb-check` run) installs instead only what
# building the Debian package needs (debian/control's Build-Depends, debhelper), lintian, and
# debootstrap, unshare, ip, curl and readelf for scripts/deb-check.sh: no Go toolchains, no test
# programs.
set -euo pipefail

mode=all
case "${1:-}" in
"") ;;
--deb) mode=deb ;;
*)
	echo "usage: $0 [--deb]" >&2
	exit 1
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "racetrace deps: need root to install packages, run: sudo $0" >&2
	exit 1
fi

# Packages from bookworm proper.
BASE_PKGS=(make gcc pkg-config clang-19 llvm-19 zlib1g-dev libcmocka-dev golang-go python3
	   libmicrohttpd-dev libcapstone-dev)
# libFuzzer and the sanitizer runtimes clang-19 links the fuzzers with (tests/fuzz/).
BASE_PKGS+=(libclang-rt-19-dev)
# The Go toolchains below are fetched over https (a minimal root has no CA certificates).
BASE_PKGS+=(ca-certificates)
# glibc's separate debug info, found by build-id under /usr/lib/debug/.build-id/: without it
# the libc frames of every report (start_thread, clone3, ...) are module+offset.
BASE_PKGS+=(libc6-dbg)
# Real multithreaded programs the e2e tests trace (tests/e2e/detectors.py).
BASE_PKGS+=(memcached xz-utils pigz)
# A real Prometheus scrapes the daemon, promtool checks its metrics (tests/e2e/daemon.py).
BASE_PKGS+=(prometheus)
# A real Go server traced for a minute under a put/get loop (tests/e2e/gotests.py, go-etcd).
BASE_PKGS+=(etcd-server etcd-client)
# Minimal Debian roots for the container tests (scripts/container_root.sh, tests/e2e/containers.py).
BASE_PKGS+=(debootstrap)
# The install test renders the man page and verifies the systemd unit, whose ExecReload is
# /bin/kill (procps) (tests/e2e/install.py).
BASE_PKGS+=(man-db systemd procps)
# Packages pinned to bookworm-backports. libdebuginfod-dev: racetrace fetches debug info by
# build-id when DEBUGINFOD_URLS is set; debuginfod: the local server the test fetches it from
# (tests/e2e/reports.py).
BPO_PKGS=(libbpf-dev libbpf1 bpftool libelf-dev libelf1 libdw-dev libdw1 elfutils
	  libdebuginfod-dev libdebuginfod1 debuginfod
	  golang-1.21-go golang-1.22-go golang-1.23-go)

# The Debian package's build: debian/control's Build-Depends, the packaging tools, lintian, and
# debootstrap for the package check in a fresh root (scripts/deb-check.sh). elfutils' -dev
# packages come from backports because libbpf-dev 1.4 needs them; the package built still runs
# with bookworm's libelf1 and libdw1 (dpkg-shlibdeps computes the lowest version it needs).
if [ "$mode" = deb ]; then
	# build-essential: dpkg-buildpackage requires it besides the Build-Depends
	BASE_PKGS=(build-essential make gcc pkg-config clang-19 llvm-19 zlib1g-dev libmicrohttpd-dev
		   libcapstone-dev debhelper dpkg-dev lintian
		   debootstrap util-linux iproute2 curl binutils)
	BPO_PKGS=(libbpf-dev libbpf1 bpftool libelf-dev libelf1 libdw-dev libdw1 libdebuginfod-dev
		  libdebuginfod1)
fi

BPO_LIST=/etc/apt/sources.list.d/racetrace-backports.list

have_bpo_source() {
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/
}

# A package is "ok" when installed and, for backports ones, at a ~bpo version.
missing=()
for p in "${BASE_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
bpo_missing=()
for p in "${BPO_PKGS[@]}"; do
	v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
	case "$v" in
	"install ok installed "*bpo*) ;;
	*) bpo_missing+=("$p") ;;
	esac
done

# Go releases newer than Debian's (tests/unit/test_goelf.c, scripts/build_go_targets.sh):
# fetched by the go command itself (GOTOOLCHAIN=go1.N.P) through the Go module proxy, as the
# module golang.org/toolchain checked against the checksum database, into a module cache of
# their own: GO_TOOLCHAINS/golang.org/toolchain@v0.0.1-go1.N.P.linux-amd64/bin/go.
GO_TOOLCHAINS=/var/cache/racetrace/gomod
GO_FETCH=(go1.24.0 go1.25.0 go1.26.8 go1.27.3)

fetch_go_toolchains() {
	local v bin go=/usr/lib/go-1.23/bin/go
	for v in "${GO_FETCH[@]}"; do
		bin="$GO_TOOLCHAINS/golang.org/toolchain@v0.0.1-$v.linux-amd64/bin/go"
		[ -x "$bin" ] && continue
		echo "racetrace deps: fetching $v through the Go module proxy"
		mkdir -p "$GO_TOOLCHAINS"
		if ! out=$(cd / && env GOMODCACHE="$GO_TOOLCHAINS" GOPATH="$GO_TOOLCHAINS/gopath" \
			   GOTOOLCHAIN="$v" GOFLAGS= GOENV=off "$go" version 2>&1) ||
		   ! [ -x "$bin" ]; then
			echo "racetrace deps: cannot fetch $v with $go (is the Go module proxy" \
			     "reachable?): $out" >&2
			exit 1
		fi
	done
}

# The modules of the Go service the e2e tests build (tests/targets/gosvc: gRPC, chi, the
# Prometheus client), fetched through the Go module proxy into the same module cache, checked
# against go.sum, so that scripts/build_go_targets.sh builds it with GOPROXY=off.
GO_MODULE_DIRS=(tests/targets/gosvc)

fetch_go_modules() {
	local d out root go
	root=$(cd "$(dirname "$0")/.." && pwd)
	go="$GO_TOOLCHAINS/golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64/bin/go"
	for d in "${GO_MODULE_DIRS[@]}"; do
		# offline first: nothing to do when every package's module is cached
		(cd "$root/$d" && env GOMODCACHE="$GO_TOOLCHAINS" GOPROXY=off GOTOOLCHAIN=local 			GOFLAGS=-mod=readonly GOENV=off "$go" list -deps . >/dev/null 2>&1) && continue
		echo "racetrace deps: fetching the modules of $d through the Go module proxy"
		if ! out=$(cd "$root/$d" && env GOMODCACHE="$GO_TOOLCHAINS" GOTOOLCHAIN=local 			   GOFLAGS=-mod=readonly GOENV=off "$go" mod download 2>&1); then
			echo "racetrace deps: cannot fetch the modules of $d (is the Go module proxy" \
			     "reachable?): $out" >&2
			exit 1
		fi
	done
}

if [ ${#missing[@]} -eq 0 ] && [ ${#bpo_missing[@]} -eq 0 ]; then
	[ "$mode" = deb ] && exit 0
	fetch_go_toolchains
	fetch_go_modules
	exit 0
fi

if ! have_bpo_source; then
	echo "deb http://deb.debian.org/debian bookworm-backports main" >"$BPO_LIST"
fi

export DEBIAN_FRONTEND=noninteractive
echo "racetrace deps: installing ${missing[*]} ${bpo_missing[*]}"
apt-get update -qq
if [ ${#bpo_missing[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bpo_missing[@]}" >/dev/null
fi
if [ ${#missing[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$mode" = all ]; then
	fetch_go_toolchains
	fetch_go_modules
fi
echo "racetrace deps: done"
