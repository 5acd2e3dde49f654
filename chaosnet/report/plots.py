"""The report's plots as inline SVG text, drawn with matplotlib's Agg backend (no display, no
files, no network). Each function takes the plain data `series.py` computed and returns one
`<svg>` element; text stays text (searchable, selectable) in the page.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

from chaosnet.report.series import Band
from chaosnet.report.sweep import Estimate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

BAND_COLOURS = {
    "partition": "#f4a261",
    "crash": "#e63946",
    "pause": "#9d4edd",
    "stopped": "#6c757d",
    "slow": "#2a9d8f",
    "attack": "#d00000",
}
WIDE, TALL = (9.0, 3.6), (9.0, 4.2)


@functools.cache
def _pyplot() -> ModuleType:
    """matplotlib on its Agg backend, imported by the first plot drawn: it was half of the time
    `import chaosnet.cli` took, paid by every command, and only report pages draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # the backend is chosen first

    return matplotlib.pyplot


@contextmanager
def _figure(size: tuple[float, float] = WIDE) -> Iterator[Figure]:
    plt = _pyplot()
    with plt.rc_context({"svg.fonttype": "none", "font.size": 9, "axes.grid": True}):
        fig = plt.figure(figsize=size)
        try:
            yield fig
        finally:
            plt.close(fig)


def _svg(fig: Figure, name: str) -> str:
    """The figure as one `<svg>` element; ids salted by `name` so plots never share ids."""
    buf = io.StringIO()
    with _pyplot().rc_context({"svg.hashsalt": f"chaosnet-{name}", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _shade(ax: Axes, bands: Sequence[Band]) -> None:
    for band in bands:
        ax.axvspan(band.start, band.end, color=BAND_COLOURS.get(band.kind, "#adb5bd"), alpha=0.18)


def _band_legend(bands: Sequence[Band]) -> list[Patch]:
    from matplotlib.patches import Patch

    kinds = sorted({b.kind for b in bands})
    return [Patch(color=BAND_COLOURS.get(k, "#adb5bd"), alpha=0.35, label=k) for k in kinds]


def heights_plot(
    heights: dict[str, list[tuple[float, float]]],
    tips: Sequence[tuple[float, int]],
    bands: Sequence[Band],
    reorgs: Sequence[tuple[float, str, int]],
    events: Sequence[tuple[float, str]],
) -> str:
    """Heights per node above, distinct honest tips below (a fork is more than one), the faults
    shaded behind both and the timeline's events as dotted lines."""
    with _figure((9.0, 5.0)) as fig:
        ax, forks = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        for axis in (ax, forks):
            _shade(axis, bands)
            for t, _ in events:
                axis.axvline(t, color="#495057", linewidth=0.8, linestyle=":")
        for t, event_id in events:
            ax.annotate(
                event_id,
                (t, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color="#495057",
            )
        for node, points in heights.items():
            ax.step([t for t, _ in points], [h for _, h in points], where="post", label=node)
        if reorgs:
            height_at = {n: dict(points) for n, points in heights.items()}
            ax.scatter(
                [t for t, _, _ in reorgs],
                [_height_near(height_at.get(node, {}), t) for t, node, _ in reorgs],
                marker="x",
                color="black",
                zorder=5,
                s=[30 + 20 * d for _, _, d in reorgs],
                label="reorg (size: depth)",
            )
        ax.set_ylabel("block height")
        ax.set_title("Block height per node, faults shaded")
        handles, _ = ax.get_legend_handles_labels()
        ax.legend(
            handles=handles + _band_legend(bands),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=7,
        )
        if tips:
            forks.step([t for t, _ in tips], [n for _, n in tips], where="post", color="#c1121f")
        forks.set_ylim(0, max([n for _, n in tips] + [2]) + 0.5)
        forks.set_ylabel("honest tips")
        forks.set_xlabel("run time (s)")
        return _svg(fig, "heights")


def _height_near(points: dict[float, float], t: float) -> float:
    earlier = [h for s, h in points.items() if s <= t]
    return float(earlier[-1]) if earlier else 0.0


def propagation_cdf_plot(times: Sequence[float], coverage: float) -> str:
    with _figure() as fig:
        ax = fig.add_subplot()
        ordered = sorted(times)
        n = len(ordered)
        if n:
            ax.step(ordered, [(i + 1) / n for i in range(n)], where="post", label="blocks")
            for q, colour in ((50, "#2a9d8f"), (90, "#e76f51")):
                value = ordered[max(1, math.ceil(q / 100 * n)) - 1]
                ax.axvline(value, color=colour, linestyle="--", label=f"p{q} = {value:.3g}s")
            ax.legend(loc="lower right")
        else:
            ax.text(
                0.5,
                0.5,
                "no main-chain block reached the coverage",
                ha="center",
                transform=ax.transAxes,
            )
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(f"seconds from first sighting to {coverage:.0%} of honest nodes")
        ax.set_ylabel("share of blocks")
        ax.set_title(f"Block propagation (CDF over {n} main-chain blocks)")
        return _svg(fig, "propagation")


def tps_plot(
    confirmed: Sequence[tuple[float, float]], offered: Sequence[tuple[float, float]]
) -> str:
    with _figure() as fig:
        ax = fig.add_subplot()
        if offered:
            ax.step(
                [t for t, _ in offered],
                [v for _, v in offered],
                where="mid",
                linestyle="--",
                color="#6c757d",
                label="offered load",
            )
        ax.bar(
            [t for t, _ in confirmed],
            [v for _, v in confirmed],
            width=_bin_width(confirmed) * 0.9,
            alpha=0.7,
            label="confirmed",
        )
        ax.set_xlabel("run time (s) — confirmed by when the block first appeared")
        ax.set_ylabel("transactions / s")
        ax.set_title("Confirmed TPS against offered load")
        ax.legend(loc="upper left")
        return _svg(fig, "tps")


def _bin_width(points: Sequence[tuple[float, float]]) -> float:
    return points[1][0] - points[0][0] if len(points) > 1 else 1.0


def memory_plot(memory: dict[str, list[tuple[float, int]]]) -> str:
    with _figure() as fig:
        ax = fig.add_subplot()
        for node, points in memory.items():
            ax.plot([t for t, _ in points], [b / 2**20 for _, b in points], label=node)
        ax.set_xlabel("run time (s)")
        ax.set_ylabel("RSS (MiB)")
        ax.set_title("Memory per node")
        if memory:
            ax.legend(loc="upper left", fontsize=7, ncol=2)
        return _svg(fig, "memory")


def link_matrix_plot(names: list[str], matrix: list[list[int | None]]) -> str:
    size = max(4.0, min(9.0, 0.6 * len(names) + 2.5))
    with _figure((size + 1.5, size)) as fig:
        ax = fig.add_subplot()
        ax.grid(False)
        values = [[math.nan if v is None else v / 1024 for v in row] for row in matrix]
        image = ax.imshow(values, cmap="Blues")
        fig.colorbar(image, ax=ax, label="KiB carried")
        ax.set_xticks(range(len(names)), names, rotation=90)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("to")
        ax.set_ylabel("from")
        ax.set_title("Bytes per directed link")
        if len(names) <= 12:
            top = max((v for row in values for v in row if not math.isnan(v)), default=0.0)
            for i, row in enumerate(values):
                for j, v in enumerate(row):
                    if not math.isnan(v):
                        colour = "white" if v > top * 0.6 else "black"
                        ax.text(
                            j, i, f"{v:.0f}", ha="center", va="center", fontsize=7, color=colour
                        )
        return _svg(fig, "links")


def share_plot(shares: dict[str, float], hashrates: dict[str, float]) -> str:
    """Each miner's share of the final chain next to its share of the hashrate."""
    names = sorted(set(shares) | set(hashrates))
    with _figure() as fig:
        ax = fig.add_subplot()
        xs = range(len(names))
        ax.bar(
            [x - 0.2 for x in xs],
            [hashrates.get(n, 0.0) for n in names],
            width=0.4,
            label="hashrate share",
            color="#adb5bd",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [shares.get(n, 0.0) for n in names],
            width=0.4,
            label="share of final-chain blocks",
            color="#e63946",
        )
        ax.set_xticks(list(xs), names)
        ax.set_ylabel("share")
        ax.set_title("Blocks in the final chain against hashrate")
        ax.legend(loc="upper left")
        return _svg(fig, "shares")


def sweep_plot(parameter: str, metric: str, points: Sequence[tuple[float, Estimate]]) -> str:
    """Measured mean with its 95 % interval against the parameter, and the closed-form line."""
    with _figure() as fig:
        ax = fig.add_subplot()
        xs = [x for x, _ in points]
        means = [e.mean for _, e in points]
        spread = [[e.mean - e.low for _, e in points], [e.high - e.mean for _, e in points]]
        ax.errorbar(xs, means, yerr=spread, fmt="o", capsize=4, label="measured (95 % interval)")
        theory = [(x, e.expected) for x, e in points if e.expected is not None]
        if theory:
            ax.plot(
                [x for x, _ in theory],
                [y for _, y in theory],
                "--",
                color="#e76f51",
                label="expected (closed form)",
            )
        ax.set_xlabel(parameter)
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} against {parameter}")
        ax.legend(loc="best")
        return _svg(fig, f"sweep-{metric}")
