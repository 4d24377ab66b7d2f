#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# End-to-end tests: see run.py. Arguments are passed on (-v, --list, test name substrings).
exec python3 "$(dirname "$0")/run.py" "$@"
