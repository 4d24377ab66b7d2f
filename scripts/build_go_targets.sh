#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Build every Go test program (tests/targets/go/*/) with every supported Go toolchain, normally
# and stripped (-ldflags='-s -w'), into .output/go-targets/go1.N/NAME and NAME-sw (a directory
# with _test.go files gets its test binary, `go test -c`). Only the
# standard library is used: no module download. A missing toolchain is an error naming the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.output/go-targets
src=tests/targets/go
export GOCACHE="$PWD/$out/cache" GOPATH="$PWD/$out/gopath" GOFLAGS=-mod=mod GOPROXY=off \
	GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$out"
for minor in 19 21 22 23; do
	go=/usr/lib/go-1.$minor/bin/go
	[ -x "$go" ] || { [ "$minor" = 19 ] && go=/usr/bin/go; }
	if ! [ -x "$go" ] || ! "$go" version | grep -q "go1\.$minor"; then
		echo "build_go_targets: go1.$minor not found: run 'sudo scripts/deps.sh'" >&2
		exit 1
	fi
	mkdir -p "$out/go1.$minor"
	for dir in "$src"/*/; do
		name=$(basename "$dir")
		[ "$name" = target ] && continue
		for variant in "" -sw; do
			bin="$out/go1.$minor/$name$variant"
			# rebuild when a source of the program, its helper or the toolchain is newer
			if [ -x "$bin" ] && [ -z "$(find "$dir" "$src/target" "$go" -newer "$bin" \
				-name '*.go' -o -newer "$bin" -name go 2>/dev/null | head -1)" ]; then
				continue
			fi
			flags=()
			[ "$variant" = -sw ] && flags=(-ldflags=-s\ -w)
			if compgen -G "$dir*_test.go" >/dev/null; then
				# a test package: its test binary, as `go test` builds it
				(cd "$src" && "$go" test -c "${flags[@]}" -o "$OLDPWD/$bin" "./$name")
			else
				(cd "$src" && "$go" build "${flags[@]}" -o "$OLDPWD/$bin" "./$name")
			fi
		done
	done
done
