# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A throwaway minimal Debian 12 root for the fresh-machine checks, sourced by
# scripts/fresh-check.sh (the README's commands) and scripts/deb-check.sh (the package): it
# makes the root, runs commands chrooted in it, and takes it down. Not run on its own.
#
# The caller sets, before fresh_root_make:
#   FR_NAME  the prefix of messages ("fresh-check")
#   CACHE    the package cache (debootstrap/ and apt/ under it are made and kept)
#   root     an empty directory that becomes the root (mktemp -d)
#   keep     1: unmount but leave the root in place at the end
# and installs the cleanup first: `trap fresh_root_cleanup EXIT; trap 'exit 130' INT TERM`.
# fresh_root_make LOG debootstraps a bookworm minbase root (only apt source: bookworm), adds a
# policy-rc.d that refuses every service start, copies resolv.conf, and mounts the root on
# itself (private), /proc, /sys and /dev (rslave: BPF works in a chroot on the same kernel) and
# the apt cache. At the end fresh_root_cleanup kills every process whose root is inside it,
# unmounts everything under it, deepest first, and only then removes it.

FR_MIRROR=${RT_FRESH_MIRROR:-http://deb.debian.org/debian}
FR_SUITE=bookworm
PATH_IN_ROOT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Mount points under the root, deepest first.
mounts_inside() {
	awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r
}

# Signal every process whose root directory is the root or inside it; prints how many.
signal_inside() { # SIGNAL
	local p r n=0
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case "$r" in
		"$root" | "$root"/*)
			kill -s "$1" "${p#/proc/}" 2>/dev/null && n=$((n + 1))
			;;
		esac
	done
	echo "$n"
}

fresh_root_cleanup() {
	local i m left
	trap - EXIT INT TERM
	[ -d "$root" ] || return 0
	for i in $(seq 1 20); do
		[ "$(signal_inside TERM)" -eq 0 ] && break
		sleep 0.5
	done
	for i in $(seq 1 10); do
		[ "$(signal_inside KILL)" -eq 0 ] && break
		sleep 0.5
	done
	for i in 1 2 3; do
		for m in $(mounts_inside); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
	done
	left=$(mounts_inside)
	if [ -n "$left" ]; then
		# removing now would reach through a bind mount (the package cache, the repository)
		echo "$FR_NAME: still mounted, $root NOT removed: $left" >&2
		return 0
	fi
	if [ "$keep" -eq 1 ]; then
		echo "$FR_NAME: root kept at $root (nothing mounted)"
	else
		rm -rf --one-file-system "$root"
	fi
}

in_root() { # COMMAND...: a login-like root shell in the root, with a clean environment
	chroot "$root" /usr/bin/env -i HOME=/root PATH="$PATH_IN_ROOT" TERM=dumb LANG=C.UTF-8 "$@"
}

fresh_root_make() { # LOG
	mkdir -p "$CACHE/debootstrap" "$CACHE/apt"
	chmod 0755 "$root" # it becomes /: mktemp's 0700 would shut out every other user (_apt, ...)
	if ! debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap" "$FR_SUITE" "$root" \
		"$FR_MIRROR" >"$1" 2>&1; then
		tail -n 20 "$1" >&2
		echo "$FR_NAME: debootstrap failed (log: $1)" >&2
		return 1
	fi

	# No service starts from package scripts (invoke-rc.d and deb-systemd-invoke ask this).
	printf '#!/bin/sh\n# %s: no service starts in this root\nexit 101\n' "$FR_NAME" \
		>"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$root/etc/resolv.conf"

	# The root is a mount point of its own, private, as / is on a machine: the tests make mount
	# namespaces, and unshare makes every mount private first, which needs / to be a mount.
	mount --bind "$root" "$root"
	mount --make-private "$root"
	mount -t proc proc "$root/proc"
	# rslave: what is unmounted under the root at the end is not unmounted on the host too
	mount --rbind /sys "$root/sys"
	mount --make-rslave "$root/sys"
	mount --rbind /dev "$root/dev"
	mount --make-rslave "$root/dev"
	mount --bind "$CACHE/apt" "$root/var/cache/apt/archives"
}
