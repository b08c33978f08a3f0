"""How a workspace splits the screen between its drawing and its side column (table, prompt, feedback).

The drawing gets the width it needs and the side column what is left, within the column's
bounds; when the drawing does not fit beside even the narrowest column but the terminal is tall
enough, the side column moves below the drawing. Otherwise the two stay side by side with the
narrowest column and the drawing scrolls (it keeps the asked node and the output in view itself).

A view may accept a tighter column (``side_tight``) when the drawing does not fit beside a
comfortable one: at 80x24 the playground's L = (a*b + c)^2 is 49 columns wide, and beside a
34-column table its a and b boxes were cut off, although the table's rows ("∂L/∂z2  ?") need far
less than 34 columns. When the drawing cannot fit even then, the tight column still leaves it the
most room to scroll in.

A drawing that also comes in a compact node style (``compact_size``) is arranged for that size
when its normal size cannot be shown whole anywhere but the compact one can; the pane itself then
draws in the compact style (it decides from its own size, see GraphView).
"""

from __future__ import annotations

from dataclasses import dataclass

PANE_CHROME_WIDTH = 4  # the pane's round border and its one-column padding on each side
PANE_CHROME_HEIGHT = 2  # the border above and below
STACKED_SIDE_MIN_HEIGHT = 10  # rows the side column needs below the drawing: prompt, a few entries, feedback


@dataclass(frozen=True)
class Arrangement:
    stacked: bool  # side column below the drawing
    side_width: int | None  # columns of the side column when side by side
    pane_height: int | None  # rows of the drawing when stacked


def arrange(width: int, height: int, drawing_width: int, drawing_height: int, *, side_min: int,
            side_max: int, side_tight: int | None = None,
            compact_size: tuple[int, int] | None = None) -> Arrangement:
    """Where the drawing and the side column go in a ``width`` x ``height`` workspace.

    ``drawing_width``/``drawing_height`` are the drawing's own size in cells (without the pane's border).
    ``side_tight`` (at most ``side_min``): the narrowest side column worth taking to show the whole drawing.
    ``compact_size``: the drawing's size in its compact style, used when only that one can be shown whole.
    """
    normal = _arrange(width, height, drawing_width, drawing_height, side_min=side_min, side_max=side_max,
                      side_tight=side_tight)
    if compact_size is None or shows_whole(normal, width, height, drawing_width, drawing_height):
        return normal
    compact = _arrange(width, height, *compact_size, side_min=side_min, side_max=side_max, side_tight=side_tight)
    return compact if shows_whole(compact, width, height, *compact_size) else normal


def shows_whole(arrangement: Arrangement, width: int, height: int, drawing_width: int, drawing_height: int) -> bool:
    """Whether the pane of ``arrangement`` holds the whole drawing without scrolling."""
    pane_width = drawing_width + PANE_CHROME_WIDTH + 1
    if arrangement.stacked:
        return pane_width <= width
    assert arrangement.side_width is not None  # side by side always has a side width
    return width - arrangement.side_width >= pane_width and drawing_height + PANE_CHROME_HEIGHT <= height


def _arrange(width: int, height: int, drawing_width: int, drawing_height: int, *, side_min: int,
             side_max: int, side_tight: int | None = None) -> Arrangement:
    pane_width = drawing_width + PANE_CHROME_WIDTH + 1  # one spare column so a rounding never clips the right edge
    pane_height = drawing_height + PANE_CHROME_HEIGHT
    if width - pane_width >= min(side_min, side_tight if side_tight is not None else side_min):
        return Arrangement(False, min(side_max, width - pane_width), None)
    if pane_width > width:
        pane_height += 1  # the horizontal scrollbar
    if height - pane_height >= STACKED_SIDE_MIN_HEIGHT:
        return Arrangement(True, None, pane_height)
    # The drawing scrolls (or folds) either way: every column the table gives up is graph on screen.
    return Arrangement(False, min(side_min, side_tight) if side_tight is not None else side_min, None)


def apply(arrangement: Arrangement, workspace, pane, side) -> None:
    """Set the styles of the three widgets (cheap when nothing changes: Textual ignores equal values)."""
    if arrangement.stacked:
        workspace.styles.layout = "vertical"
        pane.styles.width = "100%"
        pane.styles.height = arrangement.pane_height
        side.styles.width = "100%"
        side.styles.height = "1fr"
        side.styles.max_width = None
        side.styles.min_width = None
    else:
        workspace.styles.layout = "horizontal"
        pane.styles.width = "1fr"
        pane.styles.height = "100%"
        side.styles.width = arrangement.side_width
        side.styles.height = "100%"
        side.styles.max_width = None
        side.styles.min_width = None
