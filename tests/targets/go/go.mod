// Go programs for racetrace's tests: one small program per directory, standard library only,
// built with every supported Go toolchain (see docs/go.md). The go line is the oldest
// supported version, so that every newer toolchain builds them as they are.
module racetrace/targets

go 1.19
