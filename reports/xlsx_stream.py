"""Plain sheets written straight as SpreadsheetML: a workbook of tens of thousands of rows in a fraction of a second.

openpyxl makes an object, then an XML element, for every cell: a district's year (2,000 cells, 24,000
regular meetings, a quarter of a million cells of the sheet) took it seconds. The period workbook needs
only values, a few number formats, a bold header row that stays frozen and filtered and column widths,
so it is written here as text, the sheets as the weekly workbook's (``weekly_xlsx._sheet``): text cleaned
of what XML forbids, cut at Excel's limit, and never a formula (an inline string; a text that starts
like one keeps Excel's quote prefix, so it stays text when edited)."""

from __future__ import annotations

import pathlib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from reports.weekly_xlsx import FORMULA_PREFIXES, MAX_CELL_TEXT, _width

EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (1900 date system)
QUOTED = "quoted"  # a style key: text kept as text in Excel
LETTERS = [get_column_letter(i) for i in range(1, 703)]  # A..ZZ


@dataclass
class Sheet:
    title: str
    rows: list[str] = field(default_factory=list)  # <row> elements
    widths: dict[int, float] = field(default_factory=dict)  # column (1-based) -> width
    header: bool = False  # the first row frozen and filtered
    columns: int = 0


class Book:
    """A workbook of plain sheets: ``sheet`` then ``append`` rows, ``save``. ``formats``: column index (0-based)
    → number format, as ``weekly_xlsx._sheet`` takes them."""

    def __init__(self, creator: str, title: str) -> None:
        self.creator, self.title = creator, title
        self.sheets: list[Sheet] = []
        self._styles: dict[tuple[str | None, bool], int] = {(None, False): 0}
        self._texts: dict[str, tuple[str, int, bool]] = {}  # a text -> _text(it): names come back in every row

    def sheet(self, title: str) -> Sheet:
        out = Sheet(title)
        self.sheets.append(out)
        return out

    def style(self, number_format: str | None, bold: bool = False) -> int:
        key = (number_format, bold)
        if key not in self._styles:
            self._styles[key] = len(self._styles)
        return self._styles[key]

    def append(self, sheet: Sheet, values: Sequence[object], formats: dict[int, str] | None = None,
               bold: bool = False, bold_first: bool = False, widths: list[int] | None = None) -> None:
        """One row; ``widths``: widened to each value's (``weekly_xlsx._width``)."""
        n = len(sheet.rows) + 1
        cells = []
        styles = self._styles
        texts = self._texts
        for i, value in enumerate(values):
            if value is None:
                continue
            strong = bold or (bold_first and i == 0)
            kind = type(value)
            if kind is str or not isinstance(value, bool | int | float | date):
                # text, and anything else as text: a text seen before is cleaned and escaped once per workbook
                text = cast(str, value) if kind is str else str(value)
                known = texts.get(text)
                if known is None:
                    known = texts[text] = _text(text)
                escaped, length, quoted = known
                style = styles.get((QUOTED if quoted else None, strong))
                if style is None:
                    style = self.style(QUOTED if quoted else None, strong)
                if widths is not None and length > widths[i]:
                    widths[i] = length
                cells.append(f'<c r="{LETTERS[i]}{n}"{_s(style)} t="inlineStr"><is><t xml:space="preserve">'
                             f"{escaped}</t></is></c>")
                continue
            fmt = formats.get(i) if formats else None
            if kind is int or kind is float:  # numbers on a short path: repr as below, width as weekly_xlsx._width
                style = styles.get((fmt, strong))
                if style is None:
                    style = self.style(fmt, strong)
                number = repr(value)
                if widths is not None:
                    width = 6 if kind is float else len(number)
                    if width > widths[i]:
                        widths[i] = width
                cells.append(f'<c r="{LETTERS[i]}{n}"{_s(style)}><v>{number}</v></c>')
                continue
            style = styles.get((fmt, strong))
            if style is None:
                style = self.style(fmt, strong)
            if isinstance(value, bool):
                cells.append(f'<c r="{LETTERS[i]}{n}"{_s(style)} t="b"><v>{int(value)}</v></c>')
                continue
            if isinstance(value, datetime):
                number = repr((value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400)
            elif isinstance(value, date):
                number = str((value - EPOCH.date()).days)
            else:
                number = repr(value)
            if widths is not None:
                widths[i] = max(widths[i], _width(value))
            cells.append(f'<c r="{LETTERS[i]}{n}"{_s(style)}><v>{number}</v></c>')
        sheet.rows.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(values) > sheet.columns:
            sheet.columns = len(values)

    def table(self, title: str, headers: Sequence[str], formats: dict[int, str], rows: Iterable[Sequence[object]]) -> Sheet:
        """A sheet with a bold, frozen, filtered header row, then ``rows``; columns as wide as their text
        (``weekly_xlsx._sheet``'s widths)."""
        sheet = self.sheet(title)
        sheet.header = True
        self.append(sheet, headers, bold=True)
        widths = [len(h) for h in headers]
        for row in rows:
            self.append(sheet, row, formats, widths=widths)
        sheet.widths = {i: min(max(w + 2, 8), 50) for i, w in enumerate(widths, 1)}
        return sheet

    def save(self, path: pathlib.Path) -> pathlib.Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr("[Content_Types].xml", self._content_types())
            z.writestr("_rels/.rels", RELS)
            z.writestr("docProps/core.xml", CORE.format(creator=escape(self.creator), title=escape(self.title)))
            z.writestr("xl/workbook.xml", self._workbook())
            z.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            z.writestr("xl/styles.xml", self._styles_xml())
            for n, sheet in enumerate(self.sheets, 1):
                z.writestr(f"xl/worksheets/sheet{n}.xml", _sheet_xml(sheet))
        return path

    def _content_types(self) -> str:
        sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                         for n in range(1, len(self.sheets) + 1))
        return CONTENT_TYPES.format(sheets=sheets)

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name={quoteattr(s.title)} sheetId="{n}" r:id="rId{n}"/>'
                         for n, s in enumerate(self.sheets, 1))
        names = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
                        f"{escape(_quoted(s.title))}!$A$1:${get_column_letter(max(s.columns, 1))}${len(s.rows)}"
                        "</definedName>" for n, s in enumerate(self.sheets) if s.header)
        return WORKBOOK.format(sheets=sheets, names=f"<definedNames>{names}</definedNames>" if names else "")

    def _workbook_rels(self) -> str:
        n = len(self.sheets)
        rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, n + 1))
        rels += f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        return f'{XML}<Relationships xmlns="{PKG_REL}">{rels}</Relationships>'

    def _styles_xml(self) -> str:
        formats = sorted({f for f, _ in self._styles if f not in (None, QUOTED)})
        fmt_id = {f: 164 + i for i, f in enumerate(formats)}
        num_fmts = "".join(f'<numFmt numFmtId="{fmt_id[f]}" formatCode={quoteattr(f)}/>' for f in formats)
        xfs = []
        for (fmt, bold), _ in sorted(self._styles.items(), key=lambda item: item[1]):
            number = fmt_id.get(fmt, 0) if fmt is not None else 0
            attrs = f'numFmtId="{number}" fontId="{int(bold)}" fillId="0" borderId="0" xfId="0"'
            attrs += ' applyNumberFormat="1"' if number else ""
            attrs += ' applyFont="1"' if bold else ""
            attrs += ' quotePrefix="1" applyAlignment="1"' if fmt == QUOTED else ""
            xfs.append(f"<xf {attrs}/>")
        return STYLES.format(num_fmts=f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "",
                             count=len(xfs), xfs="".join(xfs))


def _text(value: str) -> tuple[str, int, bool]:
    """A text as a cell holds it: (cleaned of what XML forbids, cut at Excel's limit and escaped; its length
    before escaping, for the column's width; whether it starts like a formula, kept as text by a quote prefix)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
    return escape(text), len(text), text.startswith(FORMULA_PREFIXES)


def _s(style: int) -> str:
    return f' s="{style}"' if style else ""


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _sheet_xml(sheet: Sheet) -> str:
    view = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>' if sheet.header
            else '<sheetViews><sheetView workbookViewId="0"/></sheetViews>')
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in sorted(sheet.widths.items()))
    last = f"{get_column_letter(max(sheet.columns, 1))}{max(len(sheet.rows), 1)}"
    filtered = f'<autoFilter ref="A1:{last}"/>' if sheet.header else ""
    return (f'{XML}<worksheet xmlns="{MAIN}" xmlns:r="{DOC_REL}"><dimension ref="A1:{last}"/>{view}'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}'
            f'<sheetData>{"".join(sheet.rows)}</sheetData>'
            f"{filtered}</worksheet>")


XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = DOC_REL
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "{sheets}</Types>")
RELS = (XML + f'<Relationships xmlns="{PKG_REL}">'
        f'<Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/></Relationships>')
CORE = (XML + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>{creator}</dc:creator><dc:title>{title}</dc:title>'
        "</cp:coreProperties>")
WORKBOOK = (XML + f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_REL}"><bookViews><workbookView/></bookViews>'
            "<sheets>{sheets}</sheets>{names}</workbook>")
STYLES = (XML + f'<styleSheet xmlns="{MAIN}">' + "{num_fmts}"
          '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
          '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="{count}">{xfs}</cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
