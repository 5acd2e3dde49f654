"""`chaosnet sweep`: one scenario over a grid of `--set` values, N seeds per point, summarised as
a `chaosnet-sweep/v1` directory (docs/running.md). `grid` builds the points, `execute` runs them,
`measures` turns results.json files into means, intervals and closed forms."""
