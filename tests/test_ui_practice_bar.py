"""The line over a practice problem fits an 80-column terminal for every practice skill."""

from __future__ import annotations

from tutor.practice.skills import skill
from tutor.ui.screens.practice import bar_text, practice_skills


def test_the_practice_bar_fits_80_columns_for_the_longest_skill_title():
    longest = max((skill(skill_id).title for skill_id in practice_skills()), key=len)
    text = bar_text(longest, 5, 1.0, 999)
    assert text.cell_len <= 78, text.plain  # the bar's padding takes the other two columns
    assert text.plain.endswith("999 done")
