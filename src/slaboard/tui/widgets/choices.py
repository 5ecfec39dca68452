"""A choice of one of three levels (impact or urgency) made with a single key."""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class LevelChoice(Widget, can_focus=True):
    """One of three levels (impact or urgency), chosen with a single key."""

    HELP_GROUP = "new call"

    DEFAULT_CSS = """
    LevelChoice { height: 1; width: auto; }
    LevelChoice:focus { background: $primary 20%; }
    """
    BINDINGS = [
        Binding("1", "choose(1)", "1", show=False, id="level.1", tooltip="Level 1 (the highest)"),
        Binding("2", "choose(2)", "2", show=False, id="level.2", tooltip="Level 2"),
        Binding("3", "choose(3)", "3", show=False, id="level.3", tooltip="Level 3 (the lowest)"),
        Binding("left", "step(-1)", "Higher", show=False, id="level.left", tooltip="The level before"),
        Binding("right", "step(1)", "Lower", show=False, id="level.right", tooltip="The level after"),
    ]

    value: reactive[int] = reactive(3)

    class Changed(Message):
        def __init__(self, choice: LevelChoice, value: int) -> None:
            self.choice = choice
            self.value = value
            super().__init__()

        @property
        def control(self) -> LevelChoice:
            return self.choice

    def __init__(self, labels: dict[int, str], value: int = 3, keys: Sequence[str] = ("1", "2", "3"), *,
                 focusable: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = labels
        self.keys = list(keys)
        self.can_focus = focusable
        self.set_reactive(LevelChoice.value, value)

    def render(self) -> Content:
        key_style, chosen_style = "bold $accent", "bold $text on $primary"
        parts: list[Content] = []
        for (level, label), key in zip(self.labels.items(), self.keys):
            shown = f"{key}" if key == str(level) else f"{key}·{level}"
            if level == self.value:
                parts.append(Content.styled(f" {shown} {label} ", chosen_style))
            else:
                parts.append(Content.assemble(" ", Content.styled(shown, key_style), f" {label} "))
        return Content(" ").join(parts)

    def watch_value(self, value: int) -> None:
        self.post_message(self.Changed(self, value))

    def action_choose(self, level: int) -> None:
        self.value = level

    def action_step(self, delta: int) -> None:
        self.value = max(1, min(3, self.value + delta))
