"""Folding a drawing that is too large for its pane, so the asked node and the output both stay whole.

When the node the learner is asked about and the output node are further apart than the pane is
wide (or tall), scrolling can show one of them but not both. A fold keeps two bands of the drawing,
one around each node, and replaces what lies between them by a single dotted line (┆ between
columns, ┄ between rows). It is the pane's last resort, after the compact node style; focusing the
pane shows the whole drawing again, to scroll. Pure functions on rich Text, no Textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

FOLD_LEAD = 3  # cells kept before the output node, so its incoming arrows still show


@dataclass(frozen=True)
class Fold:
    """Keep ``[first_start, first_end)`` and ``[second_start, second_end)``; one marker cell between them."""

    first_start: int
    first_end: int
    second_start: int
    second_end: int

    @property
    def length(self) -> int:
        return (self.first_end - self.first_start) + 1 + (self.second_end - self.second_start)

    def position(self, cell: int) -> int:
        """Where ``cell`` of the full drawing lands in the folded one."""
        if cell < self.first_end:
            return cell - self.first_start
        return cell - self.second_start + (self.first_end - self.first_start) + 1


def plan_fold(asked: tuple[int, int] | None, output: tuple[int, int], total: int, window: int) -> Fold | None:
    """A fold showing the ``asked`` span and the ``output`` span (first and last cells, inclusive) in ``window`` cells.

    None when no fold is needed (both fit in one window, so scrolling shows them) or possible
    (the two spans alone are wider than the window, or the asked node is not before the output).
    """
    if asked is None or total <= window:
        return None
    asked_low, asked_high = asked
    output_low, output_high = output
    if max(asked_high, output_high) - min(asked_low, output_low) + 1 <= window:
        return None
    if asked_high + FOLD_LEAD >= output_low:
        return None
    second_start = output_low - FOLD_LEAD
    first_needed = asked_high - asked_low + 1
    second_needed = output_high - second_start + 1
    if first_needed + 1 + second_needed > window:
        return None
    # The output band runs on to the drawing's end when there is room (nodes beside the output stay),
    # the rest goes to the asked node's band, centred on it.
    second_end = min(total, second_start + window - 1 - first_needed)
    first_length = window - 1 - (second_end - second_start)
    first_start = max(0, min(asked_low - (first_length - first_needed) // 2, second_start - first_length))
    first_end = min(second_start, first_start + first_length)
    if first_end >= second_start:
        return None
    return Fold(first_start, first_end, second_start, second_end)


def fold_columns(lines: list[Text], fold: Fold, total: int, marker: str) -> list[Text]:
    folded = []
    for line in lines:
        padded = line.copy()
        padded.pad_right(max(0, total - len(padded)))
        piece = padded[fold.first_start:fold.first_end]
        piece.append(marker, style="dim")
        piece.append_text(padded[fold.second_start:fold.second_end])
        piece.rstrip()
        folded.append(piece)
    return folded


def fold_rows(lines: list[Text], fold: Fold, width: int, marker: str) -> list[Text]:
    kept = lines[fold.first_start:fold.first_end]
    kept.append(Text(marker * max(1, width), style="dim"))
    return kept + lines[fold.second_start:fold.second_end]


def fold_map(fold: Fold | None, shown: int) -> list[int | None]:
    """The full drawing's cell at each of ``shown`` cells of the folded one (None for the marker)."""
    if fold is None:
        return list(range(shown))
    first = fold.first_end - fold.first_start
    cells: list[int | None] = [fold.first_start + cell for cell in range(first)]
    cells.append(None)
    cells.extend(fold.second_start + cell for cell in range(fold.second_end - fold.second_start))
    return cells + [None] * max(0, shown - len(cells))


def hide_cut_boxes(lines: list[Text], full: list[Text], boxes, columns: list[int | None], rows: list[int | None],
                   window: tuple[int, int]) -> list[Text]:
    """Blank the inside of every box that the pane shows only part of, so no cut number is ever read.

    ``lines`` are the graph's rows as shown (folded or not), ``full`` the unfolded ones; ``columns`` and
    ``rows`` give the full drawing's cell under each shown one, and ``window`` the shown columns the pane
    has in view, ``[start, end)``. A box cut by the pane's edge or by a fold shows its visible border,
    its top and bottom lines drawn through and nothing inside: "= -1" cut at the edge read "1".
    """
    start, end = window
    visible = {cell: shown for shown, cell in enumerate(columns[start:end], start) if cell is not None}
    where_row = {row: shown for shown, row in enumerate(rows) if row is not None}
    result = list(lines)
    for box in boxes:
        seen = [column for column in range(box.left, box.right + 1) if column in visible]
        if not seen or len(seen) == box.width:
            continue
        inside = [column for column in seen if box.left < column < box.right]
        if not inside:
            continue
        bottom = full[box.bottom] if box.bottom < len(full) else Text("")
        for row in range(box.top, box.bottom + 1):
            shown_row = where_row.get(row)
            if shown_row is None or shown_row >= len(result):
                continue
            line = result[shown_row].copy()
            border = row in (box.top, box.bottom)
            for column in inside:
                shown_column = visible[column]
                if shown_column >= len(line):
                    continue
                piece = bottom[column:column + 1] if border and column < len(bottom) else Text(" ")
                line = line[:shown_column] + piece + line[shown_column + 1:]
            result[shown_row] = line
    return result
