"""How a workspace splits the terminal between the drawing and the table (tutor.ui.widgets.workspace)."""

from __future__ import annotations

from tutor.ui.widgets.workspace import PANE_CHROME_WIDTH, arrange, shows_whole


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


def test_a_drawing_that_fits_only_in_its_compact_style_is_arranged_for_that_size() -> None:
    # Lesson 2's trace of L = (a*b + c)^2 at 80x23: 56x13 normally (neither beside a 26-column table nor
    # above it), 44x11 compact, which fits beside a 31-column table.
    normal = arrange(80, 23, 56, 13, side_min=34, side_max=64, side_tight=26)
    assert not shows_whole(normal, 80, 23, 56, 13)
    compact = arrange(80, 23, 56, 13, side_min=34, side_max=64, side_tight=26, compact_size=(44, 11))
    assert shows_whole(compact, 80, 23, 44, 11) and compact.side_width == 80 - 44 - PANE_CHROME_WIDTH - 1


def test_the_compact_size_changes_nothing_when_the_normal_drawing_fits_or_neither_does() -> None:
    assert arrange(120, 40, 56, 13, side_min=34, side_max=64, compact_size=(44, 11)) == \
        arrange(120, 40, 56, 13, side_min=34, side_max=64)
    assert arrange(80, 20, 90, 30, side_min=34, side_max=64, side_tight=26, compact_size=(70, 25)) == \
        arrange(80, 20, 90, 30, side_min=34, side_max=64, side_tight=26)
