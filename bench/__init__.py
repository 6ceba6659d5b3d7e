"""Benchmarks of postmortem-sync against the bundled tracker emulator (see bench/README.md)."""
