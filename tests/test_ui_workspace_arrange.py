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


def test_a_drawing_too_wide_for_any_table_gets_the_most_room_to_scroll_in() -> None:
    # Lesson 4's neuron is 67 columns: it scrolls at 80 either way, and 8 more columns keep the node
    # just answered in view beside the asked one.
    assert arrange(80, 20, 67, 14, side_min=34, side_max=64, side_tight=26).side_width == 26
    assert arrange(80, 20, 67, 14, side_min=34, side_max=64).side_width == 34


def test_the_tight_width_changes_nothing_when_the_table_fits_comfortably() -> None:
    # Room enough for the comfortable column: the tight width changes nothing.
    assert arrange(120, 40, 49, 12, side_min=34, side_max=64, side_tight=26) == \
        arrange(120, 40, 49, 12, side_min=34, side_max=64)
