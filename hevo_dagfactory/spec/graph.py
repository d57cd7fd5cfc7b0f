"""Dependency-graph helpers shared by the semantic checks and ``show``.

Why our own: the graph is tiny (tens of nodes) and we want the cycle *path*
(``a -> b -> c -> a``) for the error message, which a plain topological sort
does not give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(upstream: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle as ``[a, b, ..., a]`` following "runs after" edges, or ``None``.

    Iterative DFS in definition order, so the reported cycle is deterministic.
    """
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(upstream, WHITE)
    for root in upstream:
        if color[root] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        color[root] = GREY
        while stack:
            node, idx = stack[-1]
            nexts = [n for n in upstream.get(node, ()) if n in color]
            if idx < len(nexts):
                stack[-1] = (node, idx + 1)
                nxt = nexts[idx]
                if color[nxt] == GREY:
                    return path[path.index(nxt) :] + [nxt]
                if color[nxt] == WHITE:
                    color[nxt] = GREY
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                color[node] = BLACK
                stack.pop()
                path.pop()
    return None


def layers(nodes: Sequence[str], upstream: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Group an acyclic graph into levels: level 0 has no upstream, level n waits on < n."""
    level: dict[str, int] = {}

    def depth(node: str, seen: frozenset[str] = frozenset()) -> int:
        if node in level:
            return level[node]
        ups = [u for u in upstream.get(node, ()) if u in upstream and u not in seen]
        level[node] = 0 if not ups else 1 + max(depth(u, seen | {node}) for u in ups)
        return level[node]

    for n in nodes:
        depth(n)
    out: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for n in nodes:
        out[level[n]].append(n)
    return out
