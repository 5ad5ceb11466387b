"""PNG charts for RESULTS.md: quality, throughput, and cost growth."""

import math

#: Which figure goes on which axis, per quality corpus: (x key, x label, y key, y label).
QUALITY_AXES = {
    "real pages, held out": ("remove", "debris removed (chars)", "keep", "content kept (chars)"),
    "scrapinghub-aeb": ("precision", "token precision vs articleBody",
                        "recall", "token recall vs articleBody"),
    "trafilatura-eval": ("without_removed", "'without' snippets removed",
                         "with_kept", "'with' snippets kept"),
}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def quality_chart(tables, path, curves=None):
    """One panel per corpus: content kept (y) against debris removed (x), a point per system.

    ``curves`` may give a panel a line: ``[{x key: ..., y key: ...}, ...]``
    (stripper's held-out curve over thresholds, from its card).
    """
    plt = _pyplot()
    panels = [(name, rows) for name, rows in tables.items() if rows]
    figure, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.2), squeeze=False)
    for axis, (corpus, rows) in zip(axes[0], panels):
        x_key, x_label, y_key, y_label = QUALITY_AXES[corpus]
        curve = (curves or {}).get(corpus)
        if curve:
            axis.plot([p[x_key] for p in curve], [p[y_key] for p in curve], "-", color="grey",
                      alpha=0.6, label="stripper held-out curve (card)")
        for name, row in rows.items():
            x, y = row.get(x_key), row.get(y_key)
            if x is None or y is None or math.isnan(x) or math.isnan(y):
                continue
            marker = "*" if "stripper" in name else "o"
            axis.scatter(x, y, s=180 if marker == "*" else 60, marker=marker, zorder=3,
                         label=name, alpha=0.85)
        axis.set(title=corpus, xlabel=x_label, ylabel=y_label)
        axis.legend(fontsize=7, loc="lower left")
        axis.grid(alpha=0.3)
    figure.suptitle("Quality: up and to the right is better")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def throughput_chart(rows, path, corpus="the speed corpus"):
    """Horizontal bars: documents per second per core (log scale), one per system."""
    plt = _pyplot()
    names = [n for n in rows if math.isfinite(rows[n]["docs_per_s"])]  # a failed command has none
    values = [rows[n]["docs_per_s"] for n in names]
    figure, axis = plt.subplots(figsize=(8, 0.45 * len(names) + 1.5))
    colours = ["tab:red" if "stripper" in n else "tab:blue" for n in names]
    axis.barh(names, values, color=colours)
    axis.set_xscale("log")
    axis.invert_yaxis()
    axis.set(xlabel="documents / CPU-second (one core)", title=f"Throughput per core on {corpus}")
    for index, value in enumerate(values):
        axis.text(value, index, f" {value:,.0f}", va="center", fontsize=8)
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def growth_chart(curves, path):
    """CPU seconds against document size on log-log axes, with a slope-1 guide."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7, 5))
    for name, curve in curves.items():
        measured = [p for p in curve["points"] if p["measured"]]
        projected = [p for p in curve["points"] if not p["measured"]]
        line = axis.plot([p["bytes"] for p in measured], [p["cpu"] for p in measured], "o-",
                         label=f"{name} (slope {curve['slope']:.2f})")[0]
        if projected and measured:
            tail = [measured[-1], *projected]
            axis.plot([p["bytes"] for p in tail], [p["cpu"] for p in tail], "x:",
                      color=line.get_color(), label=f"{name}, projected")
        if measured:
            anchor = measured[-1]
            sizes = [curve["points"][0]["bytes"], curve["points"][-1]["bytes"]]
            axis.plot(sizes, [anchor["cpu"] * s / anchor["bytes"] for s in sizes], "--",
                      color=line.get_color(), alpha=0.3)
    axis.set(xscale="log", yscale="log", xlabel="document size (bytes)",
             ylabel="CPU seconds", title="Cost growth, 1 KB to 10 MB (dashed: linear)")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
