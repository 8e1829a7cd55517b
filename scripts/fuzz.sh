#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets with clang and run each (default 60 s); see tests/fuzz/README.md.
exec bash "$(dirname "$0")/../tests/fuzz/fuzz.sh" "$@"
