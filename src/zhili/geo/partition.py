"""Raster partitioning: capacity-constrained power diagrams, fragment cleaning, labels' centres.

A power diagram assigns each point to the seed minimising |x - s|² - w; with the weights tuned
so that every region reaches its target size, regions are convex (within a convex domain),
sit around their seeds and take the areas we ask for. On a non-convex domain a region can
fall apart; `clean_fragments` then hands the stray pieces to the neighbour they touch most.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Above this many points, fit the weights on a regular subsample first: ~10x faster and the
# full-resolution pass then needs only a few corrective iterations.
_COARSE_POINTS = 20_000


def _power_labels(xy: np.ndarray, seeds: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Index of the seed minimising |x - s|² - w for each point (first seed on ties)."""
    # |x - s|² - w = |x|² - 2 x·s + |s|² - w, and |x|² is the same for every seed. A running
    # minimum over seeds needs no (n, k) matrix, and plain element-wise arithmetic (not BLAS,
    # which may fuse or reorder operations on other CPUs) keeps the result bit-reproducible.
    x, y = xy[:, 0], xy[:, 1]
    bias = (seeds**2).sum(axis=1) - weights
    best = x * (-2.0 * seeds[0, 0]) + y * (-2.0 * seeds[0, 1]) + bias[0]
    labels = np.zeros(len(xy), dtype=np.int64)
    score = np.empty_like(best)
    for j in range(1, len(seeds)):
        np.multiply(x, -2.0 * seeds[j, 0], out=score)
        score += y * (-2.0 * seeds[j, 1])
        score += bias[j]
        closer = score < best
        np.copyto(best, score, where=closer)
        labels[closer] = j
    return labels


def power_partition(
    xy: np.ndarray,
    seeds: np.ndarray,
    targets: np.ndarray,
    point_area: float,
    weights: np.ndarray | None = None,
    tol: float = 0.01,
    max_iter: int = 300,
) -> tuple[np.ndarray, np.ndarray]:
    """Label each point with a seed so that seed i gets about `targets[i]` points.

    `xy` in km, `point_area` the area (km²) one point stands for. Returns (labels, weights).
    """
    n, k = len(xy), len(seeds)
    targets = np.asarray(targets, dtype=np.float64)
    w = np.zeros(k) if weights is None else weights.astype(np.float64, copy=True)
    if k == 1:
        return np.zeros(n, dtype=np.int64), w
    if n > 2 * _COARSE_POINTS and weights is None:
        stride = n // _COARSE_POINTS
        sub = slice(0, n, stride)
        m = len(xy[sub])
        _, w = power_partition(
            xy[sub], seeds, targets * (m / n), point_area * (n / m), tol=tol, max_iter=max_iter
        )
    slack = np.maximum(tol * targets, 1.0)
    # Raising w_i by d moves region i's border out by about d / (2 r), adding about π d / 2 of
    # area for a roundish region; so d = 2 ΔA / π is the natural step size.
    base = 2.0 * point_area / np.pi
    gain = np.full(k, base)
    previous = np.zeros(k)
    labels = _power_labels(xy, seeds, w)
    for _ in range(max_iter):
        counts = np.bincount(labels, minlength=k)
        error = targets - counts
        if np.all(np.abs(error) <= slack):
            break
        # Per-region step (as in Rprop): halve it when the error flips sign (we overshot),
        # let it grow back while the error keeps its sign. Neighbours pull on each other, so
        # one fixed step either crawls or oscillates.
        flipped = np.sign(error) * np.sign(previous) < 0
        gain = np.where(flipped, gain * 0.5, np.minimum(gain * 1.2, 2 * base))
        previous = error
        w += gain * error
        labels = _power_labels(xy, seeds, w)
    return labels, w


def centroids(xy: np.ndarray, labels: np.ndarray, k: int, fallback: np.ndarray) -> np.ndarray:
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    out = fallback.astype(np.float64, copy=True)
    has = counts > 0
    for dim in range(2):
        sums = np.bincount(labels, weights=xy[:, dim], minlength=k)
        out[has, dim] = sums[has] / counts[has]
    return out


def spread_seeds(
    xy: np.ndarray, k: int, rng: np.random.Generator, iters: int = 12, sample: int = 4000
) -> np.ndarray:
    """k well-spread points over `xy`: k-means++ then Lloyd steps on a subsample."""
    if k > len(xy):
        raise ValueError(f"cannot spread {k} seeds over {len(xy)} cells")
    pts = xy if len(xy) <= sample else xy[rng.choice(len(xy), sample, replace=False)]
    if k > len(pts):
        pts = xy
    seeds = np.empty((k, 2))
    seeds[0] = pts[rng.integers(len(pts))]
    d2 = ((pts - seeds[0]) ** 2).sum(axis=1)
    for i in range(1, k):  # k-means++: next seed far from the ones chosen
        total = d2.sum()
        j = rng.choice(len(pts), p=d2 / total) if total > 0 else rng.integers(len(pts))
        seeds[i] = pts[j]
        d2 = np.minimum(d2, ((pts - seeds[i]) ** 2).sum(axis=1))
    for _ in range(iters):
        labels = _power_labels(pts, seeds, np.zeros(k))
        seeds = centroids(pts, labels, k, seeds)
    return seeds


def fit_partition(
    xy: np.ndarray,
    seeds: np.ndarray,
    targets: np.ndarray,
    point_area: float,
    rounds: int = 1,
    anchor: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Power partition; with rounds > 1, seeds move towards their regions' centroids in between.

    Moving seeds to centroids (a capacity-constrained Lloyd step) makes regions rounder;
    `anchor` > 0 keeps that share of each seed at its starting place (a real town centre).
    Returns (labels, final seeds).
    """
    start = seeds
    weights = None
    labels = np.zeros(len(xy), dtype=np.int64)
    for r in range(rounds):
        # Only the last round's sizes matter: earlier rounds just show the seeds where to go.
        tol = 0.01 if r == rounds - 1 else 0.05
        labels, weights = power_partition(xy, seeds, targets, point_area, weights, tol=tol)
        if r < rounds - 1:
            moved = centroids(xy, labels, len(seeds), seeds)
            seeds = anchor * start + (1.0 - anchor) * moved
    return labels, seeds


def _neighbour_pairs(inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of 4-adjacent cell pairs that are both inside."""
    ny, nx = inside.shape
    idx = np.arange(ny * nx).reshape(ny, nx)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    flat = inside.ravel()
    keep = flat[a] & flat[b]
    return a[keep], b[keep]


def _components(labels: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """4-connected components of equal labels: (component id per cell, size per component)."""
    same = labels[a] == labels[b]
    n = len(labels)
    graph = coo_matrix((np.ones(int(same.sum()), dtype=np.int8), (a[same], b[same])), (n, n))
    _, comp = connected_components(graph, directed=False)
    return comp, np.bincount(comp)


def _main_components(
    labels: np.ndarray, cells: np.ndarray, comp: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """Boolean per component: is it its label's largest piece (ties: lowest component id)."""
    comp_ids = np.unique(comp[cells])
    comp_label = np.empty(len(sizes), dtype=np.int64)
    comp_label[comp[cells]] = labels[cells]
    order = np.lexsort((comp_ids, -sizes[comp_ids], comp_label[comp_ids]))
    ordered = comp_ids[order]
    _, first = np.unique(comp_label[ordered], return_index=True)
    main = np.zeros(len(sizes), dtype=bool)
    main[ordered[first]] = True
    return main


def clean_fragments(raster: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Make every label one 4-connected piece, by moving stray pieces to a neighbour.

    `raster` holds labels (-1 outside); `parent[label]` is the enclosing region: a piece only
    moves to a neighbouring label of the same parent, so the level above stays intact. A
    piece goes to the label whose main piece it shares the longest border with; pieces that
    touch no main piece wait for a later round, which rules out two pieces swapping forever.
    """
    out = raster.ravel().copy()
    inside = out >= 0
    a, b = _neighbour_pairs(inside.reshape(raster.shape))
    cells = np.flatnonzero(inside)
    n_labels = len(parent)
    for _ in range(1000):
        comp, sizes = _components(out, a, b)
        main = _main_components(out, cells, comp, sizes)
        if main[comp[cells]].all():
            return out.reshape(raster.shape)
        la, lb = out[a], out[b]
        border = (la != lb) & (parent[la] == parent[lb])
        # (fragment piece, label of a main piece across the border), counted per border edge
        ca, cb = comp[a][border], comp[b][border]
        frag = np.concatenate([ca[~main[ca] & main[cb]], cb[~main[cb] & main[ca]]])
        other = np.concatenate([lb[border][~main[ca] & main[cb]], la[border][~main[cb] & main[ca]]])
        if len(frag) == 0:
            raise RuntimeError("fragments with no neighbour in the same parent region")
        keys, counts = np.unique(frag * n_labels + other, return_counts=True)
        kf, kl = keys // n_labels, keys % n_labels
        order = np.lexsort((kl, -counts, kf))
        _, first = np.unique(kf[order], return_index=True)
        new_label = np.full(len(sizes), -1, dtype=out.dtype)
        new_label[kf[order][first]] = kl[order][first]
        moved = new_label[comp[cells]]
        change = moved >= 0
        out[cells[change]] = moved[change]
    raise RuntimeError("fragment cleaning did not converge")


def component_counts(raster: np.ndarray, n_labels: int) -> np.ndarray:
    """Number of 4-connected pieces per label (0 for a label with no cells)."""
    flat = raster.ravel()
    inside = flat >= 0
    a, b = _neighbour_pairs(inside.reshape(raster.shape))
    comp, _ = _components(flat, a, b)
    cells = np.flatnonzero(inside)
    _, first = np.unique(comp[cells], return_index=True)  # one cell per component
    return np.bincount(flat[cells[first]], minlength=n_labels)


def representative_cells(raster: np.ndarray, n_labels: int) -> np.ndarray:
    """Per label, the flat index of its cell farthest from the label's border.

    That cell is well inside the region (its pole of inaccessibility on the raster), which
    makes a better label anchor and map marker than a centroid that may fall outside.
    """
    padded = np.pad(raster, 1, constant_values=-1)
    core = raster >= 0
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        shifted = padded[1 + dy : 1 + dy + raster.shape[0], 1 + dx : 1 + dx + raster.shape[1]]
        core &= shifted == raster
    dist = ndimage.distance_transform_edt(core).ravel()
    cells = np.flatnonzero(raster.ravel() >= 0)
    labels = raster.ravel()[cells]
    order = np.lexsort((cells, -dist[cells], labels))
    found, first = np.unique(labels[order], return_index=True)
    if len(found) != n_labels:
        raise ValueError("some labels have no cells")
    return cells[order][first]
