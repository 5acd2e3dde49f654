"""`chaosnet explore`: many seeds of a scenario, each failing one written out as an explicit
fault schedule and shrunk to a minimal one that still fails."""
