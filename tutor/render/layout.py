"""Place a graph on a character grid: grandalf's Sugiyama layout, then right-angle edge routing.

grandalf lays graphs out top to bottom; we want inputs on the left and the output on the
right, so its layers become our columns and its position inside a layer becomes our row.
Each vertex's grandalf ``view`` is therefore the box turned sideways: ``w`` is the box's
height in rows and ``h`` its width in columns.

Edges are drawn in the vertical *channels* between layer columns. In a channel every
source (a node box, or a long edge passing through a layer) owns one *net*: a horizontal
stub from its exit row to a vertical *track*, then a branch to each row it feeds. Tracks are
assigned so that different nets only ever cross at right angles and never run along the
same cells; when two nets would each need to sit left of the other, one of them takes a
detour (a "dogleg") through a free row.

The result, :class:`GraphLayout`, is a plain grid model: box rectangles, and for every edge
of the graph the list of cells it runs through. Frames draw from it; tests check it directly.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from grandalf.graphs import Edge as LayoutEdge
from grandalf.graphs import Vertex as LayoutVertex
from grandalf.graphs import graph_core
from grandalf.layouts import DummyVertex, SugiyamaLayout

from tutor.graph.model import ComputationalGraph, Edge
from tutor.render.labels import NORMAL, NodeStyle, box_width, grad_texts_by_node

Cell = tuple[int, int]  # (row, column)
EdgeKey = tuple[str, str, int]  # (source, target, slot): unique per edge of a graph

# Line directions leaving a cell, combined as bit flags.
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8

MIN_BOX_HEIGHT = 4  # top border, value line, gradient line, bottom border
ROW_GAP = 1  # empty rows between two things stacked in one layer column
COMPONENT_GAP = 1  # empty rows between unconnected parts of a graph
TRACK_SPACING = 2  # columns between neighbouring vertical tracks, so parallel lines stay apart
# Sugiyama ordering rounds (grandalf's default is 1.5); more rounds barely change small graphs.
ORDERING_ROUNDS = 1.5
COMMUTATIVE_OPS = frozenset({"add", "mul"})


def edge_key(edge: Edge) -> EdgeKey:
    return (edge.source, edge.target, edge.slot)


@dataclass(frozen=True)
class NodeBox:
    """A node's rectangle on the grid, with the rows where its edges attach."""

    node_id: str
    top: int
    left: int
    width: int
    height: int
    exit_row: int  # outgoing edges leave the right border here
    entry_rows: tuple[tuple[int, int], ...]  # (argument slot, row) where incoming edges reach the left border

    @property
    def right(self) -> int:
        return self.left + self.width - 1

    @property
    def bottom(self) -> int:
        return self.top + self.height - 1

    def entry_row(self, slot: int) -> int:
        for entry_slot, row in self.entry_rows:
            if entry_slot == slot:
                return row
        raise KeyError(f"{self.node_id} has no incoming edge in slot {slot}")

    def contains(self, cell: Cell) -> bool:
        row, column = cell
        return self.top <= row <= self.bottom and self.left <= column <= self.right


@dataclass
class GraphLayout:
    """Where everything goes, computed once per graph and shared by every frame."""

    width: int
    height: int
    boxes: dict[str, NodeBox]
    routes: dict[EdgeKey, tuple[Cell, ...]]  # first cell touches the source's right border, last is the arrowhead
    links: dict[Cell, int]  # union of line directions in each cell (UP|DOWN|LEFT|RIGHT)
    arrows: frozenset[Cell]
    layers: tuple[tuple[str, ...], ...]  # node ids per layer column, component by component
    style: NodeStyle = NORMAL  # how the boxes were sized; frames draw their text the same way
    _base_grids: dict[bool, list[list[str]]] = field(default_factory=dict, repr=False)

    def net_links(self) -> dict[Cell, dict[str, int]]:
        """Line directions per cell split by the source node whose edges pass there (for checks)."""
        per_cell: dict[Cell, dict[str, int]] = {}
        for (source, _target, _slot), cells in self.routes.items():
            own: dict[Cell, int] = {}
            _add_links(own, cells)
            for cell, directions in own.items():
                per_source = per_cell.setdefault(cell, {})
                per_source[source] = per_source.get(source, 0) | directions
        return per_cell


# ---------------------------------------------------------------------------------------------
# grandalf


class _View:
    """What grandalf reads (w, h) and writes (xy) for each vertex."""

    __slots__ = ("w", "h", "xy")

    def __init__(self, w: float, h: float) -> None:
        self.w = w
        self.h = h
        self.xy: tuple[float, float] | None = None


@dataclass
class _Slot:
    """Something occupying rows in a layer column: a node box or a long edge passing through."""

    node_id: str | None  # None for a pass-through
    height: int
    center: float
    top: int = 0
    pass_through_of: int | None = None  # index of the layout edge for pass-throughs


def _box_height(incoming_count: int) -> int:
    return max(MIN_BOX_HEIGHT, incoming_count + 2)


def _components(graph: ComputationalGraph) -> list[list[str]]:
    """Node ids of each connected part (edges taken both ways), each in evaluation order."""
    parent = {node_id: node_id for node_id in graph.order}

    def root(node_id: str) -> str:
        while parent[node_id] != node_id:
            parent[node_id] = parent[parent[node_id]]
            node_id = parent[node_id]
        return node_id

    for edge in graph.edges:
        parent[root(edge.source)] = root(edge.target)
    parts: dict[str, list[str]] = {}
    for node_id in graph.order:
        parts.setdefault(root(node_id), []).append(node_id)
    return list(parts.values())


def _sugiyama_layers(
    node_ids: list[str],
    pairs: list[tuple[str, str]],
    heights: dict[str, int],
    widths: dict[str, int],
    row_gap: int = ROW_GAP,
    ordered: tuple[tuple[str, str, int], ...] = (),
) -> tuple[list[list[_Slot]], dict[int, dict[int, _Slot]]]:
    """Run grandalf on one connected part; return its layers and, per long edge, its pass-through slots.

    ``ordered`` lists the edges (source, target, slot) into nodes whose operand order matters (``a - b``):
    their operands enter top to bottom in slot order, so where grandalf put the second operand above the
    first, the two edges crossed in front of the box and the learner could not tell the minuend. Its
    drawing turned upside down has the same crossings; it is taken when it puts more such operands in order.
    """
    vertices = {node_id: LayoutVertex(node_id) for node_id in node_ids}
    for node_id, vertex in vertices.items():
        vertex.view = _View(w=heights[node_id], h=widths[node_id])
    layout_edges = [LayoutEdge(vertices[source], vertices[target]) for source, target in pairs]
    # Build the component with ordered lists (grandalf's Graph keeps edges in a set, whose
    # order changes from run to run; frames must be identical every time).
    core = graph_core(list(vertices.values()), layout_edges)
    sugiyama = SugiyamaLayout(core)
    sugiyama.xspace = row_gap
    sugiyama.yspace = 1
    roots = [vertex for vertex in core.sV if not vertex.e_in()]
    # A computational graph is acyclic, so no edge needs inverting (skips grandalf's cycle search).
    sugiyama.init_all(roots=roots, inverted_edges=[], optimize=True)
    edge_index = {id(layout_edge): index for index, layout_edge in enumerate(layout_edges)}
    dummy_owner: dict[int, int] = {}
    for layout_edge, controls in sugiyama.ctrls.items():
        for vertex in controls.values():
            if isinstance(vertex, DummyVertex):
                dummy_owner[id(vertex)] = edge_index[id(layout_edge)]
                # A pass-through is one row tall, not the size of a median box.
                vertex.view.w = 1
                vertex.view.h = 1
    sugiyama.draw(ORDERING_ROUNDS)
    if _slot_inversions(sugiyama, vertices, layout_edges, ordered, -1) < \
            _slot_inversions(sugiyama, vertices, layout_edges, ordered, 1):
        for layer in sugiyama.layers:
            for vertex in layer:
                x, y = vertex.view.xy
                vertex.view.xy = (-x, y)
        mirrored = True
    else:
        mirrored = False

    layers: list[list[_Slot]] = []
    pass_throughs: dict[int, dict[int, _Slot]] = {}
    for rank, layer in enumerate(sugiyama.layers):
        slots = []
        for vertex in layer:
            center = vertex.view.xy[0]
            if isinstance(vertex, DummyVertex):
                slot = _Slot(None, 1, center, pass_through_of=dummy_owner[id(vertex)])
                pass_throughs.setdefault(dummy_owner[id(vertex)], {})[rank] = slot
            else:
                slot = _Slot(vertex.data, heights[vertex.data], center)
            slots.append(slot)
        layers.append(slots[::-1] if mirrored else slots)
    _assign_rows(layers, row_gap)
    return layers, pass_throughs


def _slot_inversions(sugiyama: SugiyamaLayout, vertices: dict[str, LayoutVertex], layout_edges: list[LayoutEdge],
                     ordered: tuple[tuple[str, str, int], ...], sign: int) -> int:
    """Pairs of operands of an order-sensitive node arriving bottom-first (``sign`` -1: the drawing upside down)."""
    edge_of = {(edge.v[0].data, edge.v[1].data): edge for edge in layout_edges}
    arrivals: dict[str, list[tuple[int, float]]] = {}
    for source, target, slot in ordered:
        target_rank = sugiyama.grx[vertices[target]].rank
        if sugiyama.grx[vertices[source]].rank == target_rank - 1:
            carrier = vertices[source]
        else:
            carrier = sugiyama.ctrls[edge_of[(source, target)]][target_rank - 1]
        arrivals.setdefault(target, []).append((slot, sign * carrier.view.xy[0]))
    inversions = 0
    for operands in arrivals.values():
        operands.sort()
        inversions += sum(1 for index, (_slot, row) in enumerate(operands)
                          for _other, later in operands[index + 1:] if later < row)
    return inversions


def _assign_rows(layers: list[list[_Slot]], row_gap: int = ROW_GAP) -> None:
    """Turn grandalf's centres into whole rows, keeping the layer's order and a gap between slots.

    grandalf averages four alignments per vertex, which can leave neighbours a little too close;
    a single downward sweep per layer restores the spacing.
    """
    for layer in layers:
        next_free = -math.inf
        for slot in layer:
            top = math.floor(slot.center - slot.height / 2 + 0.5)
            slot.top = int(max(top, next_free))
            next_free = slot.top + slot.height + row_gap


# ---------------------------------------------------------------------------------------------
# channel routing


@dataclass
class _Net:
    """Everything leaving one slot of layer k towards layer k+1 inside one channel."""

    key: tuple
    left_row: int
    right_rows: set[int]
    track: int | None = None
    # When split by a dogleg: the detour row and the second track.
    detour_row: int | None = None
    second_track: int | None = None

    @property
    def needs_track(self) -> bool:
        return self.right_rows != {self.left_row}


@dataclass
class _TrackNode:
    """A vertical piece to place on a track: a whole net, or one half of a detoured net."""

    net: _Net
    half: int  # 0 = whole net, 1 = first half (source to detour row), 2 = second half
    left_row: int | None  # row whose horizontal comes from the channel's left (None: none)
    right_rows: frozenset[int]  # rows whose horizontals go on to the channel's right
    span: tuple[int, int]


def _route_channel(nets: list[_Net]) -> int:
    """Give every net that bends a track; returns the number of tracks the channel needs."""
    needing = [net for net in nets if net.needs_track]
    if not needing:
        return 0
    used_rows = {net.left_row for net in nets} | {row for net in nets for row in net.right_rows}
    detoured: set[int] = set()

    def pieces() -> list[_TrackNode]:
        result = []
        for index, net in enumerate(needing):
            if index in detoured:
                detour = net.detour_row
                assert detour is not None  # a net is put in `detoured` only once its detour row is set
                result.append(_TrackNode(net, 1, net.left_row, frozenset(), _span({net.left_row, detour})))
                result.append(_TrackNode(net, 2, None, frozenset(net.right_rows), _span(net.right_rows | {detour})))
            else:
                result.append(
                    _TrackNode(net, 0, net.left_row, frozenset(net.right_rows), _span(net.right_rows | {net.left_row}))
                )
        return result

    while True:
        track_nodes = pieces()
        # A piece whose stub comes in from the left on row y must sit left of any other piece
        # that leaves to the right on row y, or the two horizontals would overlap.
        leaving_right: dict[int, int] = {}
        for index, piece in enumerate(track_nodes):
            for row in piece.right_rows:
                leaving_right[row] = index
        predecessors: dict[int, set[int]] = {index: set() for index in range(len(track_nodes))}
        for index, piece in enumerate(track_nodes):
            if piece.left_row is not None and piece.left_row in leaving_right:
                other = leaving_right[piece.left_row]
                if other != index:
                    predecessors[other].add(index)
            if piece.half == 2:
                first_half = next(i for i, p in enumerate(track_nodes) if p.net is piece.net and p.half == 1)
                predecessors[index].add(first_half)
        try:
            tuple(TopologicalSorter(predecessors).static_order())
        except CycleError as error:
            cycle = error.args[1]
            # Detour the net in the cycle with the lowest source row (deterministic choice).
            candidates = [index for index in cycle if track_nodes[index].half == 0]
            chosen_piece = min(candidates, key=lambda index: (track_nodes[index].net.left_row, index))
            net = track_nodes[chosen_piece].net
            net.detour_row = _free_row_near(net.left_row, used_rows)
            used_rows.add(net.detour_row)
            detoured.add(needing.index(net))
            continue
        break

    # Kahn's algorithm, lowest source row first, each piece on the leftmost track that is right
    # of everything it must follow and whose vertical stays a row apart from others on that track.
    successors: dict[int, list[int]] = {index: [] for index in predecessors}
    waiting = {index: len(before) for index, before in predecessors.items()}
    for index, before in predecessors.items():
        for other in before:
            successors[other].append(index)
    ready = [(_priority(track_nodes[index]), index) for index, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    track_of: dict[int, int] = {}
    spans_on_track: dict[int, list[tuple[int, int]]] = {}
    while ready:
        _, index = heapq.heappop(ready)
        piece = track_nodes[index]
        track = max((track_of[other] + 1 for other in predecessors[index]), default=0)
        while not _fits(piece.span, spans_on_track.get(track, [])):
            track += 1
        track_of[index] = track
        spans_on_track.setdefault(track, []).append(piece.span)
        if piece.half == 2:
            piece.net.second_track = track
        else:
            piece.net.track = track
        for other in successors[index]:
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, (_priority(track_nodes[other]), other))
    return max(track_of.values()) + 1


def _span(rows: set[int]) -> tuple[int, int]:
    return (min(rows), max(rows))


def _priority(piece: _TrackNode) -> tuple[int, int, int]:
    return (piece.span[0], piece.span[1], piece.half)


def _fits(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    low, high = span
    return all(high < other_low - 1 or low > other_high + 1 for other_low, other_high in taken)


def _free_row_near(row: int, used_rows: set[int]) -> int:
    for distance in range(1, len(used_rows) + 2):
        for candidate in (row - distance, row + distance):
            if candidate not in used_rows:
                return candidate
    raise AssertionError("unreachable: there is always a free row")


# ---------------------------------------------------------------------------------------------
# the whole graph


def compute_layout(graph: ComputationalGraph, style: NodeStyle = NORMAL) -> GraphLayout:
    """Lay out ``graph`` from scratch with boxes in ``style``. Prefer :func:`layout_for`, which caches."""
    grad_texts = grad_texts_by_node(graph)
    widths = {node_id: box_width(graph, node_id, grad_texts[node_id], style) for node_id in graph.order}
    incoming: dict[str, list[Edge]] = {node_id: [] for node_id in graph.order}
    for edge in graph.edges:
        incoming[edge.target].append(edge)
    heights = {node_id: _box_height(len(incoming[node_id])) for node_id in graph.order}

    boxes: dict[str, NodeBox] = {}
    routes: dict[EdgeKey, tuple[Cell, ...]] = {}
    layer_names: list[tuple[str, ...]] = []
    next_top = 0
    total_width = 1
    for part in _components(graph):
        members = set(part)
        part_edges = [edge for edge in graph.edges if edge.source in members]
        part_boxes, part_routes, part_layers = _layout_part(
            part, part_edges, heights, widths, incoming, {node_id: graph.nodes[node_id].op for node_id in part},
            style,
        )
        low = min(
            [box.top for box in part_boxes.values()] + [row for cells in part_routes.values() for row, _ in cells]
        )
        high = max(
            [box.bottom for box in part_boxes.values()] + [row for cells in part_routes.values() for row, _ in cells]
        )
        shift = next_top - low
        for node_id, box in part_boxes.items():
            boxes[node_id] = _shifted_box(box, shift)
            total_width = max(total_width, box.right + 1)
        for key, cells in part_routes.items():
            routes[key] = tuple((row + shift, column) for row, column in cells)
        layer_names.extend(part_layers)
        next_top = high + shift + 1 + COMPONENT_GAP
    total_height = max(1, next_top - COMPONENT_GAP)

    links: dict[Cell, int] = {}
    for cells in routes.values():
        _add_links(links, cells)
    return GraphLayout(
        width=total_width,
        height=total_height,
        boxes=boxes,
        routes=routes,
        links=links,
        arrows=frozenset(cells[-1] for cells in routes.values()),
        layers=tuple(layer_names),
        style=style,
    )


def _add_links(links: dict[Cell, int], cells: tuple[Cell, ...]) -> None:
    """Record which way the line leaves each cell of one route (the first cell also joins the box on its left)."""
    first = cells[0]
    links[first] = links.get(first, 0) | LEFT
    for (row, column), (next_row, next_column) in zip(cells, cells[1:]):
        if next_row == row:
            forward, backward = (RIGHT, LEFT) if next_column > column else (LEFT, RIGHT)
        else:
            forward, backward = (DOWN, UP) if next_row > row else (UP, DOWN)
        links[(row, column)] = links.get((row, column), 0) | forward
        links[(next_row, next_column)] = links.get((next_row, next_column), 0) | backward


def _shifted_box(box: NodeBox, shift: int) -> NodeBox:
    return NodeBox(
        node_id=box.node_id,
        top=box.top + shift,
        left=box.left,
        width=box.width,
        height=box.height,
        exit_row=box.exit_row + shift,
        entry_rows=tuple((slot, row + shift) for slot, row in box.entry_rows),
    )


def _layout_part(
    part: list[str],
    part_edges: list[Edge],
    heights: dict[str, int],
    widths: dict[str, int],
    incoming: dict[str, list[Edge]],
    graph_ops: dict[str, str],
    style: NodeStyle = NORMAL,
) -> tuple[dict[str, NodeBox], dict[EdgeKey, tuple[Cell, ...]], list[tuple[str, ...]]]:
    pairs = list(OrderedDict.fromkeys((edge.source, edge.target) for edge in part_edges))
    pair_index = {pair: index for index, pair in enumerate(pairs)}
    ordered = tuple((edge.source, edge.target, edge.slot) for edge in part_edges
                    if graph_ops[edge.target] not in COMMUTATIVE_OPS)
    layers, pass_throughs = _sugiyama_layers(part, pairs, heights, widths, style.row_gap, ordered)
    lead = style.edge_lead

    rank_of: dict[str, int] = {}
    slot_of: dict[str, _Slot] = {}
    for rank, layer in enumerate(layers):
        for slot in layer:
            if slot.node_id is not None:
                rank_of[slot.node_id] = rank
                slot_of[slot.node_id] = slot

    # Rows where edges attach to boxes. Arguments enter top to bottom in slot order, except that
    # for + and * (where order does not matter) they enter in the order they arrive, which saves
    # a crossing whenever the second operand sits above the first.
    exit_row = {node_id: slot_of[node_id].top + 1 for node_id in part}

    def arrival_row(edge: Edge) -> int:
        before_target = rank_of[edge.target] - 1
        if rank_of[edge.source] == before_target:
            return exit_row[edge.source]
        return pass_throughs[pair_index[(edge.source, edge.target)]][before_target].top

    entry_row: dict[tuple[str, int], int] = {}
    for node_id in part:
        if graph_ops[node_id] in COMMUTATIVE_OPS:
            arriving = sorted(incoming[node_id], key=lambda e: (arrival_row(e), e.slot))
        else:
            arriving = sorted(incoming[node_id], key=lambda e: e.slot)
        for position, edge in enumerate(arriving):
            entry_row[(node_id, edge.slot)] = slot_of[node_id].top + 1 + position

    # Each edge as the chain of slots it passes, one per layer: source, pass-throughs, target.
    def chain(edge: Edge) -> list[tuple[int, _Slot]]:
        first, last = rank_of[edge.source], rank_of[edge.target]
        assert first < last, "grandalf ranks every edge left to right in an acyclic graph"
        middle = pass_throughs.get(pair_index[(edge.source, edge.target)], {})
        return [(rank, middle[rank]) for rank in range(first + 1, last)]

    def left_row_of(slot: _Slot, node_id: str | None) -> int:
        return exit_row[node_id] if node_id is not None else slot.top

    # Collect the nets of every channel.
    channel_nets: list[dict[tuple, _Net]] = [{} for _ in range(max(len(layers) - 1, 0))]
    hops: dict[EdgeKey, list[tuple[int, tuple, int]]] = {}  # edge -> [(channel, net key, right row)]
    for edge in part_edges:
        stations = [(rank_of[edge.source], slot_of[edge.source])] + chain(edge) + [
            (rank_of[edge.target], slot_of[edge.target])
        ]
        edge_hops = []
        for (rank, slot), (_next_rank, next_slot) in zip(stations, stations[1:]):
            net_key = ("node", slot.node_id) if slot.node_id is not None else ("pass", slot.pass_through_of, rank)
            left_row = left_row_of(slot, slot.node_id)
            right_row = entry_row[(edge.target, edge.slot)] if next_slot.node_id is not None else next_slot.top
            net = channel_nets[rank].get(net_key)
            if net is None:
                net = channel_nets[rank][net_key] = _Net(net_key, left_row, set())
            net.right_rows.add(right_row)
            edge_hops.append((rank, net_key, right_row))
        hops[edge_key(edge)] = edge_hops

    track_counts = [_route_channel(list(nets.values())) for nets in channel_nets]

    # Columns: each layer as wide as its widest box, then its channel.
    layer_left = []
    layer_width = []
    channel_start = []
    column = 0
    for rank, layer in enumerate(layers):
        width = max([widths[slot.node_id] for slot in layer if slot.node_id is not None] + [1])
        layer_left.append(column)
        layer_width.append(width)
        column += width
        if rank < len(layers) - 1:
            channel_start.append(column)
            column += lead + 1 + TRACK_SPACING * track_counts[rank]

    boxes: dict[str, NodeBox] = {}
    for node_id in part:
        slot = slot_of[node_id]
        rank = rank_of[node_id]
        boxes[node_id] = NodeBox(
            node_id=node_id,
            top=slot.top,
            left=layer_left[rank],
            width=widths[node_id],
            height=slot.height,
            exit_row=exit_row[node_id],
            entry_rows=tuple(
                sorted((edge.slot, entry_row[(node_id, edge.slot)]) for edge in incoming[node_id])
            ),
        )

    routes: dict[EdgeKey, tuple[Cell, ...]] = {}
    for edge in part_edges:
        source_box = boxes[edge.source]
        points = [(source_box.exit_row, source_box.right + 1)]
        for channel, net_key, right_row in hops[edge_key(edge)]:
            net = channel_nets[channel][net_key]
            start = channel_start[channel]
            end = start + lead + TRACK_SPACING * track_counts[channel]  # the arrowhead column

            def track_column(track: int, start: int = start) -> int:
                return start + lead + TRACK_SPACING * track

            row = net.left_row
            points.append((row, start))
            if net.track is not None:
                points.append((row, track_column(net.track)))
                if net.detour_row is not None:
                    assert net.second_track is not None  # a detoured net always gets its second track
                    points.append((net.detour_row, track_column(net.track)))
                    points.append((net.detour_row, track_column(net.second_track)))
                    points.append((right_row, track_column(net.second_track)))
                else:
                    points.append((right_row, track_column(net.track)))
            points.append((right_row, end))
            next_rank = channel + 1
            if next_rank != rank_of[edge.target]:
                # Passing through the next layer column on its own row.
                points.append((right_row, layer_left[next_rank] + layer_width[next_rank] - 1))
        routes[edge_key(edge)] = _expand(points)
    layer_names = [tuple(slot.node_id for slot in layer if slot.node_id is not None) for layer in layers]
    return boxes, routes, layer_names


def _expand(points: list[Cell]) -> tuple[Cell, ...]:
    """Every cell along a polyline of horizontal and vertical pieces, corners counted once."""
    cells: list[Cell] = [points[0]]
    for (row, column), (next_row, next_column) in zip(points, points[1:]):
        assert row == next_row or column == next_column, "edges bend only at right angles"
        step_row = (next_row > row) - (next_row < row)
        step_column = (next_column > column) - (next_column < column)
        while (row, column) != (next_row, next_column):
            row += step_row
            column += step_column
            cells.append((row, column))
    return tuple(cells)


# ---------------------------------------------------------------------------------------------
# cache

_CACHE: OrderedDict[tuple, GraphLayout] = OrderedDict()
_CACHE_SIZE = 64


def _fingerprint(graph: ComputationalGraph) -> tuple:
    """Everything the layout depends on: structure and the numbers that set box widths."""
    return (
        tuple((node_id, graph.nodes[node_id].op, graph.nodes[node_id].value, graph.nodes[node_id].grad)
              for node_id in graph.order),
        tuple((edge.source, edge.target, edge.slot, edge.local_grad) for edge in graph.edges),
    )


def layout_for(graph: ComputationalGraph, style: NodeStyle = NORMAL) -> GraphLayout:
    """The layout of ``graph`` in ``style``, computed on first use and then reused (frames call this every time)."""
    key = (_fingerprint(graph), style)
    layout = _CACHE.get(key)
    if layout is None:
        layout = compute_layout(graph, style)
        _CACHE[key] = layout
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return layout
