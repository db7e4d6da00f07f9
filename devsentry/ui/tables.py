"""A list screen's table: the rows of a `render/lists.py` list in a Textual `DataTable`.

The cells and columns are the ones `devsentry issues` and `events` print (`issue_cells`,
`event_cells`), and the columns that do not fit the width drop out in the same order
(`ListTable.layout`), so the list looks the same in the dashboard and in the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from devsentry.render.lists import Col, ListTable

__all__ = ["RecordTable"]

R = TypeVar("R")


class RecordTable(DataTable[Text], Generic[R]):
    """Records as rows, one page at a time; reaching the last row asks for the next page."""

    BINDINGS = [
        Binding("home,g", "scroll_top", "First", show=False),
        Binding("end,G", "scroll_bottom", "Last", show=False),
    ]

    class More(Message):
        """The cursor reached the last loaded row and more match."""

    def __init__(
        self,
        columns: Callable[[Sequence[R]], list[Col]],
        cells: Callable[[R, float], list[Text]],
        key: Callable[[R], str],
        *,
        row_height: int = 1,
        id: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self._columns = columns
        self._cells = cells
        self._key = key
        self._row_height = row_height
        self.records: list[R] = []
        self.total = 0
        self._now = 0.0
        self._width = 0

    def show(self, records: Sequence[R], total: int, now: float, *, top: bool = False) -> None:
        """Replace the rows, keeping the cursor on the same record when it is still there
        (a live update), or on the first row (`top`: a new sort or filter)."""
        selected = None if top else self.selected
        self.records, self.total, self._now = list(records), total, now
        self._rebuild(self._key(selected) if selected is not None else None)
        if top and self.records:
            self.move_cursor(row=0, animate=False)

    def extend(self, records: Sequence[R], total: int) -> None:
        """Append the next page (the cursor stays where it is)."""
        known = {self._key(r) for r in self.records}
        self.records += [r for r in records if self._key(r) not in known]
        self.total = total
        self._rebuild(self._key(self.selected) if self.selected is not None else None)

    @property
    def selected(self) -> R | None:
        if not self.records or not 0 <= self.cursor_row < len(self.records):
            return None
        return self.records[self.cursor_row]

    def _rebuild(self, keep: str | None) -> None:
        rows = [self._cells(r, self._now) for r in self.records]
        columns = self._columns(self.records)
        width = max(self.size.width, 40) - 2  # the vertical scrollbar
        layout = ListTable(columns, rows).layout(width - 2 * len(columns))
        fixed = sum(w for i, w in layout if not columns[i].flex)
        flex = max(width - fixed - 2 * len(layout), 10)
        self.clear(columns=True)
        for i, natural in layout:
            col = columns[i]
            label = Text(col.header, "bold", justify=col.justify)
            self.add_column(label, width=flex if col.flex else natural, key=str(i))
        for record, cells in zip(self.records, rows, strict=True):
            shown = []
            for i, _ in layout:
                cell = cells[i].copy()
                cell.justify = columns[i].justify
                cell.no_wrap = True
                cell.overflow = "ellipsis"
                if columns[i].style:
                    cell.stylize_before(columns[i].style)
                shown.append(cell)
            self.add_row(*shown, height=self._row_height, key=self._key(record))
        self._width = self.size.width
        if keep is not None:
            keys = [self._key(r) for r in self.records]
            if keep in keys:
                self.move_cursor(row=keys.index(keep), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            self._rebuild(self._key(self.selected) if self.selected is not None else None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.records and event.cursor_row >= len(self.records) - 1 < self.total - 1:
            self.post_message(self.More())
