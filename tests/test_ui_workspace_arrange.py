"""How a workspace splits the terminal between the drawing and the table (tutor.ui.widgets.workspace)."""

from __future__ import annotations

from tutor.ui.widgets.workspace import PANE_CHROME_WIDTH, arrange


def test_a_drawing_that_fits_only_beside_a_tight_table_gets_the_room_it_needs() -> None:
    # The playground's L = (a*b + c)^2 is 49 columns: at 80 columns a 34-column table left it 46.
    wide = arrange(80, 20, 49, 12, side_min=34, side_max=64)
    assert not wide.stacked and wide.side_width == 34  # without a tight width: the drawing scrolls
    tight = arrange(80, 20, 49, 12, side_min=34, side_max=64, side_tight=26)
    assert not tight.stacked and tight.side_width is not None
    assert tight.side_width >= 26 and 80 - tight.side_width >= 49 + PANE_CHROME_WIDTH


def test_the_tight_width_is_only_taken_when_it_shows_the_whole_drawing() -> None:
    # A 75-column drawing cannot fit beside even 26 columns at 80: the comfortable 34 stays.
    assert arrange(80, 20, 75, 14, side_min=34, side_max=64, side_tight=26).side_width == 34
    # Room enough for the comfortable column: the tight width changes nothing.
    assert arrange(120, 40, 49, 12, side_min=34, side_max=64, side_tight=26) == \
        arrange(120, 40, 49, 12, side_min=34, side_max=64)
