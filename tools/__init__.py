"""Migration tooling: the `tf2rec` command line, scanner, converter, parity harness, benchmarks."""
