"""Rows of the benchmark table: medians of per-round ratios with their spread, and the machine they ran on."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass, field


@dataclass
class Row:
    """One measured figure: per round, the fake's and the baseline's value (higher is better when ``rate``)."""

    name: str
    unit: str  # "req/s", "µs", "s", ...
    goal: str  # e.g. ">= 0.75" for a ratio, "<= 1.3", "<= 10 s" for an absolute
    fake: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    absolute: bool = False  # the goal is about the fake's own figure, the baseline only shown beside it

    def ratios(self) -> list[float]:
        """fake / bare of each round."""
        return [f / b for f, b in zip(self.fake, self.bare, strict=False) if b]

    def judged(self) -> float:
        """The figure the goal is about: the median ratio if there is a baseline, else the median value."""
        return statistics.median(self.ratios() if self.bare and not self.absolute else self.fake)

    def met(self) -> bool:
        """Whether the median meets the goal."""
        op, _, limit = self.goal.partition(" ")
        bound = float(limit.split()[0].rstrip("×"))
        value = self.judged()
        return value >= bound if op == ">=" else value <= bound


def spread(values: list[float]) -> str:
    """``median (min–max)``."""
    if not values:
        return "–"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def figure(values: list[float], unit: str) -> str:
    """The median of absolute values with its unit."""
    if not values:
        return "–"
    value = statistics.median(values)
    text = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"{text} {unit}"


def table(rows: list[Row]) -> str:
    """The Markdown table of every row."""
    out = [
        "| measure | topview-mock | bare baseline | fake/bare, median (min–max) | goal | met |",
        "|---|---:|---:|---:|---:|:-:|",
    ]
    for row in rows:
        if not row.fake:
            continue
        if row.bare:
            fake, bare, ratio = figure(row.fake, row.unit), figure(row.bare, row.unit), spread(row.ratios())
            if row.absolute and len(row.fake) > 1:  # the goal is the fake's own figure: its spread too
                fake = f"{spread(row.fake)} {row.unit}"
        else:
            fake, bare, ratio = f"{spread(row.fake)} {row.unit}", "–", "–"
        out.append(f"| {row.name} | {fake} | {bare} | {ratio} | {row.goal} | {'yes' if row.met() else 'NO'} |")
    return "\n".join(out)


def machine() -> str:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}; "
        f"load average {load:.1f} at the start"
    )
