"""Home: the packs and their lessons with markers, Continue, reviews due, the filter, broken packs.

The screen paints at once with a loading line; the app fills it in when the session has loaded
in its worker (``show_session``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

# Input, OptionList and Footer are imported when the session arrives, after the first paint:
# the title must reach the screen as fast as a bare Textual app's text (benchmarks/bench_startup.py).
if TYPE_CHECKING:
    from textual.widgets import Input, OptionList
    from textual.widgets.option_list import Option

from tutor.ui.session import STATUS_DONE, STATUS_STARTED, LessonEntry, LessonKey, TutorSession

MARKERS = {STATUS_DONE: ("✓", "green"), STATUS_STARTED: ("◐", "yellow")}
NEW_MARKER = ("○", "dim")

ACTION_CONTINUE = "action:continue"
ACTION_REVIEW = "action:review"
ACTION_QUIZ = "action:quiz"
ACTION_PLAYGROUND = "action:playground"
ACTION_PRACTICE = "action:practice"


class TitleBar(Static):
    DEFAULT_CSS = """
    TitleBar { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    """


class HomeScreen(Screen):
    DEFAULT_CSS = """
    HomeScreen #loading { padding: 1 2; color: $text-muted; }
    HomeScreen #top { height: auto; padding: 0 1; }
    HomeScreen #reviews { width: auto; color: $text-muted; }
    HomeScreen #notices { height: auto; padding: 0 1; color: $warning; }
    HomeScreen #filter { margin: 0 1; display: none; }
    HomeScreen #filter.-visible { display: block; }
    HomeScreen #lessons { height: 1fr; border: none; padding: 0 1; }
    HomeScreen #detail { height: auto; max-height: 4; padding: 0 2; color: $text-muted; }
    """

    BINDINGS = [
        Binding("enter", "open_selected", "Open", show=False),
        Binding("c", "continue", "Continue"),
        Binding("slash", "filter", "Find"),
        # The actions' keys are written in their own lines of the list, so the footer keeps to what
        # is not on screen and fits 80 columns.
        Binding("r", "review", "Review", show=False),
        Binding("t", "quiz", "Quiz", show=False),
        Binding("p", "playground", "Playground", show=False),
        Binding("x", "practice", "Practice", show=False),
        Binding("s", "skills", "Skills", show=False),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="home")
        self.session: TutorSession | None = None
        self._continue: tuple[LessonEntry, str | None] | None = None
        self._reviews_due = 0
        self._skills_due = 0

    def compose(self) -> ComposeResult:
        yield TitleBar("backprop-tutor  ·  learn backpropagation by tracing graphs by hand", id="title")
        yield Static("Loading lesson packs…", id="loading")

    # -------------------------------------------------------------------------------- filling in

    async def show_session(self, session: TutorSession) -> None:
        from textual.widgets import Footer, OptionList

        from tutor.ui.widgets.answer_input import AnswerInput

        self.session = session
        self.query_one("#loading").display = False
        main = Vertical(
            Static("", id="notices"),
            AnswerInput(placeholder="find a lesson: type words from its title or topic (Enter opens, Esc clears)",
                        id="filter", compact=True),
            OptionList(id="lessons"),
            Static("", id="detail"),
            id="main",
        )
        await self.mount(main, Footer(compact=True))
        notices = session.notices
        notice_widget = self.query_one("#notices", Static)
        notice_widget.update("\n".join(notices))
        notice_widget.display = bool(notices)
        self.refresh_lessons()
        self.query_one("#lessons").focus()

    def refresh_lessons(self) -> None:
        """Re-read markers, Continue and reviews due (after a lesson or a quiz)."""
        if self.session is None or not self.query("#lessons"):
            return
        self.session.refresh_progress()
        self._continue = self.session.continue_target()
        self._reviews_due = self.session.reviews_due()
        # A skill can be due with no problem due: 'Review: 0 due' then opened a review of it anyway.
        skills = getattr(self.app, "skills_due_for_review", None)
        self._skills_due = skills() if callable(skills) else 0
        self._rebuild_options()

    def _rebuild_options(self) -> None:
        from textual.widgets.option_list import Option

        assert self.session is not None
        option_list = self.query_one("#lessons")
        highlighted = option_list.highlighted_option.id if option_list.highlighted_option is not None else None
        words = self.query_one("#filter").value.strip()
        options: list[Option | None] = []
        if not words:
            options.extend(self._action_options())
        shown_pack = None
        matches = 0
        authors_heading_shown = False
        for entry in self._lessons_in_display_order():
            if words and not entry.matches(words):
                continue
            matches += 1
            if _for_authors(entry) and not authors_heading_shown:
                authors_heading_shown = True
                options.append(Option(Text("For pack authors: how the lesson format works", style="dim italic"),
                                      id="authors", disabled=True))
            if entry.key.pack_id != shown_pack:
                shown_pack = entry.key.pack_id
                heading = Text(entry.pack.title, style="bold")
                heading.append(f"  {entry.pack.id} v{entry.pack.version}", style="dim")
                options.append(Option(heading, id=f"pack:{entry.key.pack_id}", disabled=True))
            options.append(Option(self._lesson_label(entry), id=f"lesson:{entry.key}"))
        if words and not matches:
            options.append(Option(Text(f"No lesson matches “{words}”.", style="dim"), id="none", disabled=True))
        broken = self.session.broken_packs()
        if broken and not words:
            options.append(Option(Text("Broken packs (fix them, then restart)", style="bold red"), id="broken",
                                  disabled=True))
            for index, pack in enumerate(broken):
                label = Text(f"✗ {pack.title}", style="red")
                if not pack.first_error.startswith(pack.location):
                    label.append(f"  ({pack.location})", style="dim")
                label.append(f"\n    {pack.first_error}", style="dim")
                if pack.error_count > 1:
                    label.append(f"\n    and {pack.error_count - 1} more: run `backprop-tutor validate`", style="dim")
                options.append(Option(label, id=f"broken:{index}", disabled=True))
        if not self.session.lessons() and not broken:
            options.append(Option(Text("No lesson packs found.", style="dim"), id="empty", disabled=True))
        option_list.clear_options()
        option_list.add_options(options)
        index = None
        if highlighted is not None:
            try:
                index = option_list.get_option_index(highlighted)
            except Exception:  # noqa: BLE001 - the option may be filtered away
                index = None
        if index is None:
            index = next((i for i, option in enumerate(options) if option is not None and not option.disabled), None)
        option_list.highlighted = index

    def _lessons_in_display_order(self) -> list[LessonEntry]:
        """The course first; packs written for pack authors (the format tour) after it, under their own heading."""
        assert self.session is not None
        lessons = self.session.lessons()
        return [entry for entry in lessons if not _for_authors(entry)] + [entry for entry in lessons if _for_authors(entry)]

    def _action_options(self) -> list[Option]:
        from textual.widgets.option_list import Option

        options = []
        if self._continue is not None:
            entry, _ = self._continue
            label = Text("▶ Continue: ", style="bold green")
            label.append(entry.title)
            label.append(f"  ({entry.pack.title})", style="dim")
            options.append(Option(label, id=ACTION_CONTINUE))
        else:
            lessons = self.session.lessons() if self.session else []
            upcoming = next((entry for entry in lessons if entry.status != STATUS_DONE and not _for_authors(entry)), None)
            if upcoming is not None:
                started = any(entry.status != "new" for entry in lessons)
                label = Text("▶ Next: " if started else "▶ Start: ", style="bold green")
                label.append(upcoming.title)
                label.append(f"  ({upcoming.pack.title})", style="dim")
                options.append(Option(label, id=ACTION_CONTINUE))
        skills_due = f" · {self._skills_due} skill{'s' if self._skills_due != 1 else ''} due" if self._skills_due else ""
        review = Text(f"↻ Review: {self._reviews_due} due{skills_due}  (r)",
                      style="bold" if self._reviews_due or self._skills_due else "dim")
        options.append(Option(review, id=ACTION_REVIEW))
        options.append(Option(Text("? Quiz yourself on a lesson, a pack or a topic  (t)"), id=ACTION_QUIZ))
        options.append(Option(Text("⚡ Practice: new graphs on the rule you need most  (x; s shows your skills)"),
                              id=ACTION_PRACTICE))
        options.append(Option(Text("✎ Playground: trace any program you type  (p)"), id=ACTION_PLAYGROUND))
        return options

    @staticmethod
    def _lesson_label(entry: LessonEntry) -> Text:
        marker, style = MARKERS.get(entry.status, NEW_MARKER)
        label = Text(f"  {marker} ", style=style)
        label.append(f"{entry.position}. {entry.title}")
        if entry.total:
            label.append(f"  {entry.solved}/{entry.total}", style="dim")
        label.append(f"  {entry.status}", style=f"dim {style}" if entry.status != "new" else "dim")
        return label

    @property
    def reviews_due(self) -> int:
        return self._reviews_due

    # -------------------------------------------------------------------------------- events and actions

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id != "lessons":
            return
        detail = self.query_one("#detail", Static)
        entry = self._entry_for(event.option.id)
        if entry is None:
            detail.update("")
            return
        text = entry.lesson.summary or ""
        problems = len(entry.lesson.problems())
        detail.update(f"{text}  [{len(entry.lesson.steps)} steps, {problems} problems]" if text
                      else f"[{len(entry.lesson.steps)} steps, {problems} problems]")

    def _entry_for(self, option_id: str | None) -> LessonEntry | None:
        if self.session is None or not option_id or not option_id.startswith("lesson:"):
            return None
        pack_id, _, lesson_id = option_id.removeprefix("lesson:").partition("/")
        return self.session.lesson(LessonKey(pack_id, lesson_id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id != "lessons":
            return
        self._activate(event.option.id)

    def _activate(self, option_id: str | None) -> None:
        if option_id == ACTION_CONTINUE:
            self.action_continue()
        elif option_id == ACTION_REVIEW:
            self.action_review()
        elif option_id == ACTION_QUIZ:
            self.action_quiz()
        elif option_id == ACTION_PRACTICE:
            self.action_practice()
        elif option_id == ACTION_PLAYGROUND:
            self.action_playground()
        else:
            entry = self._entry_for(option_id)
            if entry is not None:
                self.app.open_lesson(entry.key)

    def _list_is_shown(self) -> bool:
        # Until the packs have loaded there is no list or filter to act on: Esc, j, k or Enter
        # pressed in the first second must do nothing rather than look up widgets not mounted yet.
        return bool(self.query("#lessons"))

    def action_open_selected(self) -> None:
        if not self._list_is_shown():
            return
        option = self.query_one("#lessons").highlighted_option
        if option is not None:
            self._activate(option.id)

    def action_continue(self) -> None:
        if self.session is None:
            return
        if self._continue is not None:
            entry, problem_id = self._continue
            self.app.open_lesson(entry.key, problem_id=problem_id)
            return
        lessons = self.session.lessons()
        upcoming = next((entry for entry in lessons if entry.status != STATUS_DONE), lessons[0] if lessons else None)
        if upcoming is not None:
            self.app.open_lesson(upcoming.key)

    def action_review(self) -> None:
        if self.session is not None:
            self.app.start_review()

    def action_quiz(self) -> None:
        if self.session is not None and self._list_is_shown():
            option = self.query_one("#lessons").highlighted_option
            entry = self._entry_for(option.id if option is not None else None)
            self.app.open_quiz_setup(entry)

    def action_playground(self) -> None:
        self.app.open_playground()

    def action_practice(self) -> None:
        if self.session is not None:
            self.app.open_practice()

    def action_skills(self) -> None:
        if self.session is not None:
            self.app.open_skills()

    def action_filter(self) -> None:
        if self.session is None:
            return
        field = self.query_one("#filter")
        field.add_class("-visible")
        field.focus()

    def action_clear_filter(self) -> None:
        if not self._list_is_shown():
            return
        field = self.query_one("#filter")
        if field.value or field.has_class("-visible"):
            field.value = ""
            field.remove_class("-visible")
            if self.session is not None:
                self._rebuild_options()
            self.query_one("#lessons").focus()

    def action_cursor(self, delta: int) -> None:
        if not self._list_is_shown():
            return
        option_list = self.query_one("#lessons")
        if delta > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter" and self.session is not None:
            self._rebuild_options()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "filter":
            return
        option = self.query_one("#lessons").highlighted_option
        self.action_clear_filter()  # coming back home shows the whole list again
        if option is not None:
            self._activate(option.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys that only mean something once packs have loaded are hidden until then.
        if action in ("continue", "filter", "review", "quiz") and self.session is None:
            return False
        return True


def _for_authors(entry: LessonEntry) -> bool:
    manifest = getattr(entry.pack, "manifest", None)
    return getattr(manifest, "audience", "learners") == "authors"
