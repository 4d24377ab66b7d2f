#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build every Go test program (tests/targets/go/*/) with every Go toolchain the end-to-end tests
# use, normally and stripped (-ldflags='-s -w'), into .output/go-targets/go1.N/NAME and NAME-sw
# (a directory with _test.go files gets its test binary, `go test -c`). Only the standard
# library is used: no module download. A missing toolchain is an error naming the fix.
#
# With go1.26 it also builds tests/targets/gosvc (a service from gRPC, chi and the Prometheus
# client) into .output/go-targets/go1.26/gosvc and gosvc-sw, from the modules scripts/deps.sh
# cached in /var/cache/racetrace/gomod (GOPROXY=off: no network here either).
#
# Usage: scripts/build_go_targets.sh [MINOR...]
#        (default: 19 21 22 23 24 25 26 27, as tests/e2e/gotests.py)
# go1.19 to go1.23 are Debian's; go1.24 to go1.27 are the toolchains scripts/deps.sh fetched
# through the Go module proxy into /var/cache/racetrace/gomod (go1.26 may also be the machine's
# /usr/local/go).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.output/go-targets
src=tests/targets/go
export GOCACHE="$PWD/$out/cache" GOPATH="$PWD/$out/gopath" GOFLAGS=-mod=mod GOPROXY=off \
	GOTOOLCHAIN=local CGO_ENABLED=0
toolchains=/var/cache/racetrace/gomod/golang.org
declare -A fetched=([24]=go1.24.0 [25]=go1.25.0 [26]=go1.26.8 [27]=go1.27.3)
minors=("$@")
[ $# -gt 0 ] || minors=(19 21 22 23 24 25 26 27)
mkdir -p "$out"
for minor in "${minors[@]}"; do
	if [ -n "${fetched[$minor]:-}" ]; then
		go=$toolchains/toolchain@v0.0.1-${fetched[$minor]}.linux-amd64/bin/go
		[ -x "$go" ] || { [ "$minor" = 26 ] && go=/usr/local/go/bin/go; }
	else
		go=/usr/lib/go-1.$minor/bin/go
		[ -x "$go" ] || { [ "$minor" = 19 ] && go=/usr/bin/go; }
	fi
	if ! [ -x "$go" ] || ! "$go" version | grep -q "go1\.$minor[^0-9]"; then
		echo "build_go_targets: go1.$minor not found: run 'sudo scripts/deps.sh'" >&2
		exit 1
	fi
	mkdir -p "$out/go1.$minor"
	for variant in "" -sw; do
		flags=()
		[ "$variant" = -sw ] && flags=(-ldflags=-s\ -w)
		stale=()
		for dir in "$src"/*/; do
			name=$(basename "$dir")
			[ "$name" = target ] && continue
			bin="$out/go1.$minor/$name$variant"
			# rebuild when a source of the program, its helper or the toolchain is newer
			if [ -x "$bin" ] && [ -z "$(find "$dir" "$src/target" "$go" -newer "$bin" \
				-name '*.go' -o -newer "$bin" -name go 2>/dev/null | head -1)" ]; then
				continue
			fi
			if compgen -G "$dir*_test.go" >/dev/null; then
				# a test package: its test binary, as `go test` builds it
				(cd "$src" && "$go" test -c "${flags[@]}" -o "$OLDPWD/$bin" "./$name")
			else
				stale+=("./$name")
			fi
		done
		[ ${#stale[@]} -gt 0 ] || continue
		# the programs in one `go build`: it loads the packages once and links them in
		# parallel (half the time of one build each, cold)
		tmp="$out/go1.$minor/.build$variant"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		(cd "$src" && "$go" build "${flags[@]}" -o "$OLDPWD/$tmp/" "${stale[@]}")
		for pkg in "${stale[@]}"; do
			mv -f "$tmp/${pkg#./}" "$out/go1.$minor/${pkg#./}$variant"
		done
		rmdir "$tmp"
	done
	[ "$minor" = 26 ] || continue
	svc=tests/targets/gosvc
	for variant in "" -sw; do
		bin="$out/go1.$minor/gosvc$variant"
		if [ -x "$bin" ] && [ -z "$(find "$svc" "$go" -newer "$bin" \( -name '*.go' -o \
			-name go.mod -o -name go.sum -o -name go \) 2>/dev/null | head -1)" ]; then
			continue
		fi
		flags=()
		[ "$variant" = -sw ] && flags=(-ldflags=-s\ -w)
		if ! (cd "$svc" && GOMODCACHE=$(dirname "$toolchains") GOFLAGS=-mod=readonly \
			"$go" build "${flags[@]}" -o "$OLDPWD/$bin" .); then
			echo "build_go_targets: cannot build $svc with go1.$minor: are its modules" \
			     "cached? run 'sudo scripts/deps.sh'" >&2
			exit 1
		fi
	done
done
