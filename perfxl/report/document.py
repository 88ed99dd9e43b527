"""The evaluation report as a Word document: typed records (FileRecord, plus an Overview for a
consolidation) rendered into a docxtpl template in a sandboxed Jinja environment.

``render(records, overview=None, template=None, deviations=False)`` returns the .docx bytes;
``write_report`` writes them safely. What a template sees (``context``), every value plain text
already formatted, every paragraph list rendered with ``{{r p }}``:

- ``title``; ``cover``: ``lines`` (title lines), ``subject``, ``org``, ``date``; ``warnings`` (one text per
  workbook with errors); ``multi``;
  ``signature`` (paragraphs of the 落款); ``overview`` (a consolidation, else empty): ``scope``
  (paragraphs), ``ranking`` [rank, unit, year, total, grade, evaluators, note], ``grades`` [grade,
  range, count, share], ``totals_images``, ``grades_image``;
- ``units``: per unit ``heading``, ``unit``, ``file``, ``panel``;
  ``basic``: ``profile_title``, ``profile``, ``info`` [label, value], ``goals_title``, ``goals``,
  ``budget``, ``basic`` [label, value, unit], ``figures`` [name, text, value];
  ``work``: ``purpose``, ``method``, ``process``, ``surveys`` [name, caption, paras, rows [option,
  count, share], image, figure_caption];
  ``conclusion``: ``scores``, ``caption``, ``summary`` [level1, level2, weight, score, rate, subtotal],
  ``total_weight``, ``total``, ``total_rate``, ``grade``, ``image``, ``figure_caption``, ``verdict``;
  ``analysis`` [title, intro, groups [title, points [title, body]]]; ``strengths``;
  ``problems``: ``intro``, ``rows`` [no, level2, name, weight, score, lost], ``groups`` [title, points
  [title, body, cause]]; ``suggestions``; ``other``;
- ``appendices`` [title, rows [level1, level2, name, weight, criterion, score, process], total_weight,
  total]; ``deviations`` (only when asked): ``title``, ``intro``, ``rows`` [unit, code, name, rule,
  evaluator, difference, note].

After rendering, a table cell whose text is ``layout.REPORT_DITTO`` is merged with the cell above, such
a merged block is kept on one page and the last rows of every table stay together; the 目录 field's
cached result is filled with the document's headings (Word, WPS and LibreOffice add page numbers
when they update it).
"""
from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from perfxl.check.problems import ERROR, Problem, UnusableInput, problem
from perfxl.io.names import safe_filename
from perfxl.model import layout as L
from perfxl.report import sections as S
from perfxl.report.sections import deduction_rows  # noqa: F401 (API: the CLI counts deductions)
from perfxl.report.template import (  # noqa: F401 (write_report_template: API)
    CHART_WIDTH_CM,
    STYLE_TODO,
    TCPR_AFTER_VMERGE,
    scoring_page_lines,
    scoring_widths,
    template_bytes,
    write_report_template,
)
from perfxl.report.text import BOLD, TODO, Run, para, text, todo_key

DITTO = L.REPORT_DITTO
#: a report template (a .docx) larger than this, packed or inflated, is refused: a firm's letterhead
#: template is well under a megabyte; its document.xml is compiled by Jinja, so it is bounded too
MAX_TEMPLATE_BYTES = 64 * 1024 * 1024
MAX_TEMPLATE_XML = 8 * 1024 * 1024


# --- the context ------------------------------------------------------------------------

def context(records: Sequence, overview=None, *, deviations: bool = False, panels=None) -> dict:
    """Everything the template shows, as plain data (paragraphs as text.Para, charts as data).
    ``panels``: a consolidation's Overview that only names each unit's 评价组 (a unit's own report
    from a consolidation: its ranking and grades are not shown)."""
    records = list(records)
    multi = len(records) > 1 or overview is not None
    units = [S.unit_sections(r, overview=overview or panels, deviations=deviations) for r in records]
    widths, page_lines = scoring_widths(), scoring_page_lines()
    appendices = [S.appendix(r, n, widths, page_lines, deviations) for n, r in enumerate(records, start=1)]
    dev = S.deviation_appendix(records, len(appendices) + 1) if deviations else None
    ov = S.overview_section(overview, records) if overview is not None else None
    cover = S.cover(records, overview)
    return {
        "title": S.title(records, overview),
        "cover": {**cover,
                  "org": para(cover["org"]) if cover["org"] else para(todo_key("org")),
                  "date": para(cover["date"]) if cover["date"] else para(todo_key("date"))},
        "warnings": [w for u in units for w in u["warnings"]],
        "multi": multi,
        "overview": ov,
        "units": units,
        "signature": S.signature(cover),
        "appendices": appendices,
        "deviations": dev,
    }


# --- from data to Word: rich text, images ---------------------------------------------

def rich(p) -> Any:
    """A paragraph (text.Para) as docxtpl RichText: placeholders in the 待填写 style, every
    character escaped by docxtpl."""
    from docxtpl import RichText

    rt = RichText()
    for run in p:
        if run.kind == TODO:
            rt.add(run.text, style=STYLE_TODO)
        else:
            rt.add(run.text, bold=run.kind == BOLD)
    return rt


def _is_para(v) -> bool:
    return isinstance(v, tuple) and (not v or isinstance(v[0], Run))


def _prepare(value):
    """The context with paragraphs as RichText (recursively)."""
    if _is_para(value):
        return rich(value)
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_prepare(v) for v in value]
    return value


_Places = list[tuple[dict, str, bool]]      # where each chart goes: (dict, key, drawn in parts: a list)


def _chart_jobs(ctx: dict) -> tuple[_Places, list[tuple[Any, Any]]]:
    """Take the chart data out of a context: where each chart goes, and what it is ((function, data)
    for ``charts.draw``)."""
    from perfxl.report import charts

    places: _Places = []
    jobs: list[tuple[Any, Any]] = []
    for u in ctx["units"]:
        c = u["conclusion"]
        places.append((c, "image", False))
        jobs.append((charts.level_rates, c.pop("chart")))
        for s in u["work"]["surveys"]:
            places.append((s, "image", False))
            jobs.append((charts.option_counts, s.pop("chart")))
    ov = ctx.get("overview")
    if ov:
        places += [(ov, "totals_images", True), (ov, "grades_image", False)]
        jobs += [(charts.unit_totals, ov.pop("totals_chart")), (charts.grade_counts, ov.pop("grades_chart"))]
    return places, jobs


def _draw(jobs: list[tuple[Any, Any]]) -> list:
    """The charts as PNG bytes (a list of them for a chart drawn in parts), in worker processes when
    there are many (a chart takes a good part of a second); none when no CJK font is installed. A chart
    whose drawing kills its worker every time (a crash of matplotlib) is a ``pool.Lost``."""
    from perfxl.batch.pool import map_in_workers
    from perfxl.report import charts

    return map_in_workers(charts.draw, jobs) if charts.available() else [None] * len(jobs)


def _place_charts(places: _Places, pngs: list, tpl) -> int:
    """The charts put in their places; returns how many were left out (lost: see ``_draw``)."""
    from docx.shared import Cm
    from docxtpl import InlineImage

    from perfxl.batch.pool import Lost

    def image(png):
        return InlineImage(tpl, BytesIO(png), width=Cm(CHART_WIDTH_CM)) if png else None

    lost = 0
    for (where, key, parts), png in zip(places, pngs):
        if isinstance(png, Lost):
            lost += 1
        if png is None or isinstance(png, Lost):     # not drawn (no CJK font) or lost: as drawn without data
            png = [] if parts else None
        where[key] = [image(p) for p in png] if isinstance(png, list) else image(png)
    return lost


# --- the template: loading, bounds, a sandbox ---------------------------------------------

def _template_problem(code: str, template: Path, **kw) -> UnusableInput:
    return UnusableInput([problem(code, file=str(template), path=template.name, **kw)])


def check_template(template: Path) -> bytes:
    """The template's bytes, after refusing what is missing, too large, not a .docx package, a zip
    bomb or XML with a DTD (the same package checks as a workbook's)."""
    from perfxl.io.package import check_package

    if not template.is_file():
        raise _template_problem("report_template_missing", template)
    size = template.stat().st_size
    if size > MAX_TEMPLATE_BYTES:
        raise _template_problem("report_template_too_large", template, detail=f"文件 {size / 2**20:.0f} MB")
    data = template.read_bytes()
    if not data.startswith(b"PK\x03\x04"):
        raise _template_problem("report_template_invalid", template, detail="不是 .docx 文件")
    try:
        zf = check_package(data, template, full=True)
    except UnusableInput as e:
        raise _template_problem("report_template_invalid", template, detail=e.problems[0].message) from None
    inflated = sum(i.file_size for i in zf.infolist())
    if inflated > MAX_TEMPLATE_BYTES:
        raise _template_problem("report_template_too_large", template, detail=f"解压后 {inflated / 2**20:.0f} MB")
    xml = zf.NameToInfo.get("word/document.xml")
    if xml is None:
        raise _template_problem("report_template_invalid", template, detail="没有 word/document.xml，不是 Word 文档")
    if xml.file_size > MAX_TEMPLATE_XML:
        raise _template_problem("report_template_too_large", template,
                                detail=f"正文 XML 解压后 {xml.file_size / 2**20:.0f} MB")
    return data


def _load_template(template: Path | None, data: bytes | None = None):
    """The report template, ready to render (``data``: its bytes, already read and checked)."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    if data is None:
        data = _template_data(template)
    if template is None:
        return DocxTemplate(BytesIO(data))
    try:
        tpl = DocxTemplate(BytesIO(data))
        tpl.init_docx()
        return tpl
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        detail = "不是 .docx 文件" if isinstance(e, (PackageNotFoundError, zipfile.BadZipFile)) else str(e)
        raise _template_problem("report_template_invalid", Path(template), detail=detail) from None


def _template_data(template: Path | None) -> bytes:
    """The template's bytes: the default one built, or ``template`` read and checked."""
    return template_bytes() if template is None else check_template(Path(template))


def sandbox():
    """The Jinja environment templates render in: sandboxed, immutable, undefined names an error,
    and no attribute at all except a loop's (``loop.index``) and a namespace's: a template reaches
    the documented data by key (``u.heading``) and nothing else (no ``u.items()``, no
    ``''.__class__``)."""
    from jinja2 import StrictUndefined
    from jinja2.runtime import LoopContext
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.utils import Namespace

    class ReportSandbox(ImmutableSandboxedEnvironment):
        def is_safe_attribute(self, obj, attr, value):
            return isinstance(obj, (LoopContext, Namespace)) and not attr.startswith("_") \
                and super().is_safe_attribute(obj, attr, value)

    return ReportSandbox(undefined=StrictUndefined, autoescape=True)


_JINJA_HINTS = (
    ("unexpected end of template", "有 for / if 标记没有对应的 endfor / endif"),
    ("expected token", "标记没有正确结束（缺少 }} 或 %}，或其中有多余的字符）"),
    ("unexpected", "标记中有无法识别的内容"),
    ("unknown tag", "使用了不存在的标记"),
    ("encountered unknown tag", "使用了不存在的标记"),
    ("is undefined", "引用了不存在的数据项"),
    ("has no attribute", "引用了不存在的数据项"),
)


def _jinja_detail(e) -> str:
    raw = str(getattr(e, "message", None) or e)
    hint = next((zh for en, zh in _JINJA_HINTS if en in raw.lower()), "标记无法识别")
    return f"{hint}（{raw}）"


# --- after rendering: merged cells, rows kept together -----------------------------------

def _tc_text(tc) -> str:
    from docx.oxml.ns import qn

    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


def _keep_with_next(tr) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for p in tr.iter(qn("w:p")):
        ppr = p.get_or_add_pPr()
        if ppr.find(qn("w:keepNext")) is None:
            ppr.insert_element_before(OxmlElement("w:keepNext"), *_PPR_AFTER_KEEPNEXT)


_PPR_AFTER_KEEPNEXT = ("w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
                       "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
                       "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
                       "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                       "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                       "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
                       "w:pPrChange")


def merge_dittos(document) -> int:
    """Merge every table cell holding only the ditto mark with the cell above (vertical merge); keep
    every merged block on one page, and the last rows of every table (with the 合计 row) together,
    so that no page holds only two or three rows."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def vmerge(tc, restart: bool) -> None:
        tcpr = tc.get_or_add_tcPr()
        for old in tcpr.findall(qn("w:vMerge")):
            tcpr.remove(old)
        el = OxmlElement("w:vMerge")
        if restart:
            el.set(qn("w:val"), "restart")
        tcpr.insert_element_before(el, *TCPR_AFTER_VMERGE)

    merged = 0
    body = document.element.body
    for tbl in body.iter(qn("w:tbl")):
        above: dict[int, tuple[Any, int, bool]] = {}      # grid column -> (tc, span, is header)
        rows = tbl.findall(qn("w:tr"))
        continues = []                                      # row i continues a merge from row i-1
        for tr in rows:
            trpr = tr.find(qn("w:trPr"))
            header = trpr is not None and trpr.find(qn("w:tblHeader")) is not None
            before = trpr.find(qn("w:gridBefore")) if trpr is not None else None
            col = int(before.get(qn("w:val"), 0)) if before is not None else 0
            current: dict[int, tuple[Any, int, bool]] = {}
            cont = False
            for tc in tr.findall(qn("w:tc")):
                tcpr = tc.find(qn("w:tcPr"))
                gs = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
                span = int(gs.get(qn("w:val"), 1)) if gs is not None else 1
                if _tc_text(tc).strip() == DITTO:
                    for t in tc.iter(qn("w:t")):
                        t.text = ""
                    up = above.get(col)
                    if up is not None and up[1] == span and not up[2]:
                        up_tc = up[0]
                        up_pr = up_tc.find(qn("w:tcPr"))
                        up_vm = up_pr.find(qn("w:vMerge")) if up_pr is not None else None
                        if up_vm is None:
                            vmerge(up_tc, restart=True)
                        vmerge(tc, restart=False)
                        merged += 1
                        cont = True
                current[col] = (tc, span, header)
                col += span
            above = current
            continues.append(cont)
        body_rows = [i for i, tr in enumerate(rows) if not _is_header(tr)]
        for i in body_rows[:-1]:
            if continues[i + 1]:
                _keep_with_next(rows[i])
        tail = body_rows[-S.MIN_LAST_ROWS - 1:-1]          # a short table is kept whole
        if tail:
            start = tail[0]
            while start > body_rows[0] and continues[start]:    # a merged block is not cut
                start -= 1
            for i in range(start, body_rows[-1]):
                _keep_with_next(rows[i])
    return merged


def _outline_levels(document) -> tuple[dict[str, int], dict[str, str]]:
    """Paragraph style id -> outline level (inherited through basedOn), and TOC level -> the id of
    the style “toc N”."""
    from docx.oxml.ns import qn

    own, base, toc = {}, {}, {}
    for st in document.styles.element.findall(qn("w:style")):
        sid = st.get(qn("w:styleId"))
        lvl = st.find(qn("w:pPr") + "/" + qn("w:outlineLvl"))
        if lvl is not None:
            own[sid] = int(lvl.get(qn("w:val")))
        based = st.find(qn("w:basedOn"))
        if based is not None:
            base[sid] = based.get(qn("w:val"))
        name = st.find(qn("w:name"))
        m = re.fullmatch(r"toc (\d)", (name.get(qn("w:val")) if name is not None else "").lower())
        if m:
            toc[m.group(1)] = sid
    levels = {}
    for sid in {*own, *base}:
        seen, cur = set(), sid
        while cur is not None and cur not in own and cur not in seen:
            seen.add(cur)
            cur = base.get(cur)
        if cur in own:
            levels[sid] = own[cur]
    return levels, toc


def fill_toc(document) -> int:
    """Fill the cached result of the document's TOC field with its headings (outline levels 1–3,
    after the field), so that the 目录 reads right before any program updates it."""
    from docx.oxml.ns import qn

    body = document.element.body
    paras = [p for p in body if p.tag == qn("w:p")]
    start = next((i for i, p in enumerate(paras)
                  if any("TOC" in (t.text or "") for t in p.iter(qn("w:instrText")))), None)
    if start is None:
        return 0
    end = next((i for i in range(start + 1, len(paras))
                if any(f.get(qn("w:fldCharType")) == "end" for f in paras[i].iter(qn("w:fldChar")))), None)
    if end is None:
        return 0
    levels, toc_styles = _outline_levels(document)
    entries = []
    for p in paras[end + 1:]:
        ppr = p.find(qn("w:pPr"))
        own = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
        style = ppr.find(qn("w:pStyle")) if ppr is not None else None
        level = int(own.get(qn("w:val"))) if own is not None else \
            levels.get(style.get(qn("w:val"))) if style is not None else None
        words = "".join(t.text or "" for t in p.iter(qn("w:t"))).strip()
        if level is not None and level <= 2 and words:
            entries.append((level + 1, words))
    for p in paras[start + 1:end]:
        body.remove(p)
    anchor = paras[end]
    for level, words in entries:
        style = toc_styles.get(str(level))
        ppr = f'<w:pPr><w:pStyle w:val="{escape(style, {chr(34): "&quot;"})}"/></w:pPr>' if style else ""
        anchor.addprevious(parse_xml(f'<w:p {nsdecls("w")}>{ppr}<w:r><w:t xml:space="preserve">{escape(words)}'
                                     f"</w:t></w:r></w:p>"))
    return len(entries)


def section_starts(document) -> int:
    """A section already starts on a new page: its first paragraph's own “page break before” (a
    unit's heading, an appendix's title) is removed there, or LibreOffice adds an empty page."""
    from docx.oxml.ns import qn

    fixed = 0
    body = [el for el in document.element.body if el.tag in (qn("w:p"), qn("w:tbl"))]
    for prev, nxt in zip(body, body[1:]):
        if prev.tag != qn("w:p") or prev.find(qn("w:pPr") + "/" + qn("w:sectPr")) is None or nxt.tag != qn("w:p"):
            continue
        ppr = nxt.find(qn("w:pPr"))
        for old in ppr.findall(qn("w:pageBreakBefore")) if ppr is not None else ():
            ppr.remove(old)
            fixed += 1
    return fixed


def _is_header(tr) -> bool:
    from docx.oxml.ns import qn

    trpr = tr.find(qn("w:trPr"))
    return trpr is not None and trpr.find(qn("w:tblHeader")) is not None


# --- rendering --------------------------------------------------------------------------

def render(records: Sequence, overview=None, *, template: Path | None = None, deviations: bool = False) -> bytes:
    """The report as .docx bytes. ``records``: one FileRecord per unit (a panel's figures for a unit
    scored by several evaluators); ``overview``: what a consolidation adds (ranking, grades);
    ``deviations``: append the indicators whose evaluator figure departs from the rule (internal
    review; a client's report leaves them out). Raises UnusableInput for a template that cannot
    be used."""
    return _render(records, overview, template=template, deviations=deviations)[0]


def _render(records: Sequence, overview=None, *, template: Path | None = None,
            deviations: bool = False) -> tuple[bytes, int]:
    """``render``, and how many charts were left out (their drawing killed its worker every time)."""
    if not records:
        raise ValueError("render() needs at least one FileRecord")
    tpl = _load_template(template)
    ctx = _prepare(context(records, overview, deviations=deviations))
    places, jobs = _chart_jobs(ctx)
    lost = _place_charts(places, _draw(jobs), tpl)
    return _finish(ctx, tpl, template), lost


def render_each(records: Sequence, *, template: Path | None = None, deviations: bool = False,
                panels=None) -> Iterator[tuple[bytes, int]]:
    """One report per record (a unit), as ``_render([record])`` gives it (the document, and how many of
    its charts were left out), in order (``panels``: see ``context``); every chart of every unit is drawn
    first, together (in worker processes when there are many)."""
    ctxs = [_prepare(context([r], None, deviations=deviations, panels=panels)) for r in records]
    charted = [_chart_jobs(ctx) for ctx in ctxs]
    pngs = iter(_draw([job for _, jobs in charted for job in jobs]))
    data = _template_data(template)               # built or read once
    for ctx, (places, jobs) in zip(ctxs, charted):
        tpl = _load_template(template, data)
        lost = _place_charts(places, [next(pngs) for _ in jobs], tpl)
        yield _finish(ctx, tpl, template), lost


def _finish(ctx: dict, tpl, template: Path | None) -> bytes:
    """Render ``ctx`` into ``tpl`` (template problems become UnusableInput), then the document's own
    finishing: merged dittos, the 目录, section starts."""
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError

    name = Path(template).name if template else L.REPORT_TEMPLATE_NAME
    try:
        tpl.render(ctx, jinja_env=sandbox(), autoescape=True)
    except SecurityError as e:
        raise UnusableInput([problem("report_template_unsafe", file=str(template or ""), path=name,
                                     detail=str(e)[:200])]) from None
    except TemplateError as e:
        near = ""
        around = [s.strip() for s in (getattr(e, "docx_context", None) or []) if s.strip()]
        if around:
            near = "（附近文字：" + " ".join(around)[:80] + "）"
        raise UnusableInput([problem("report_template_syntax", file=str(template or ""), path=name,
                                     detail=_jinja_detail(e), near=near)]) from None
    merge_dittos(tpl.docx)
    fill_toc(tpl.docx)
    section_starts(tpl.docx)
    buf = BytesIO()
    tpl.save(buf)
    return buf.getvalue()


# --- files --------------------------------------------------------------------------

def default_output(files: Sequence[Path]) -> Path:
    first = Path(files[0])
    if len(files) == 1:
        return first.with_name(first.stem + L.REPORT_SUFFIX + ".docx")
    return first.with_name(L.REPORT_MULTI_STEM.format(n=len(files)) + ".docx")


@dataclass
class Written:
    output: Path
    backup: Path | None = None
    problems: list[Problem] = field(default_factory=list)
    done: bool = True                  # False: not written (``problems`` say why)


def check_output(output: Path) -> None:
    if output.suffix.lower() != ".docx":
        raise UnusableInput([problem("report_output_suffix", file=str(output), path=output.name)])


def write_report(records: Sequence, output: Path, template: Path | None = None, *, overview=None,
                 deviations: bool = False) -> Written:
    """Render and write atomically; an existing file is backed up first, never overwritten bare."""
    output = Path(output)
    check_output(output)
    if refused := output_problems(output):
        raise UnusableInput(refused)
    data, lost = _render(records, overview, template=template, deviations=deviations)   # template problems first
    return _write(data, output, lost)


def output_problems(output: Path) -> list[Problem]:
    """Why a report cannot be written to ``output`` now: open in Word/WPS, or read-only."""
    from perfxl.io.files import lock_file

    lock = lock_file(output)
    if lock is not None:
        return [problem("report_output_locked", file=str(output), path=output.name, lock=lock.name)]
    if output.exists() and not os.access(output, os.W_OK):
        return [problem("report_output_readonly", file=str(output), path=output.name)]
    return []


def _write(data: bytes, output: Path, lost: int = 0) -> Written:
    """``data`` written to ``output``, with what the user should know: the backup made, the charts
    missing (no CJK font; ``lost`` charts left out)."""
    from perfxl.io.files import atomic_write_bytes, backup
    from perfxl.report import charts

    saved = backup(output) if output.exists() else None
    atomic_write_bytes(output, lambda fh: fh.write(data))
    extra = []
    if saved is not None:
        extra.append(problem("output_exists_backup", file=str(output), backup=saved.name))
    if not charts.available():
        extra.append(problem("report_charts_no_font", file=str(output), path=output.name,
                             fonts="、".join(charts.CJK_FONTS[:6])))
    if lost:
        extra.append(problem("report_charts_lost", file=str(output), path=output.name, count=lost))
    return Written(output, saved, extra)


def each_names(records: Sequence) -> list[str]:
    """A file name per unit's report: ``单位_报告.docx``; ``单位_年度_报告.docx`` for a unit reported for
    several years; names that would be the same file on Windows or macOS (case aside, or made the same by
    characters a file name cannot hold) get ``_2``, ``_3``."""
    from collections import Counter

    units = [text(r.info.get("unit")) or Path(r.file).stem for r in records]
    several = Counter(units)
    taken: set[str] = set()
    out = []
    for r, unit in zip(records, units):
        year = text(r.info.get("year"))
        stem = safe_filename(f"{unit}_{year}" if several[unit] > 1 and year else unit)
        name, k = f"{stem}{L.REPORT_SUFFIX}.docx", 1
        while name.casefold() in taken:
            k += 1
            name = f"{stem}_{k}{L.REPORT_SUFFIX}.docx"
        taken.add(name.casefold())
        out.append(name)
    return out


def write_each(records: Sequence, folder: Path, template: Path | None = None, *, deviations: bool = False,
               panels=None, progress: Callable[[int, int], None] | None = None) -> list[Written]:
    """One report per record in ``folder`` (made when missing), named by ``each_names``; each written
    atomically as soon as it is made (an existing file backed up first). A report that cannot be written
    (open in Word/WPS, read-only) is left out with its problem (``Written.done`` False); the others are
    still written. Stopped part way, the reports already written stay whole. ``panels``: see ``context``;
    ``progress``: called with (written, to write) after each report."""
    from perfxl.io.files import made_folder

    targets = [Path(folder) / name for name in each_names(records)]
    out = [Written(t, None, output_problems(t), done=False) for t in targets]
    todo = [i for i, w in enumerate(out) if not w.problems]
    with made_folder(Path(folder)):   # left empty (stopped before the first report): removed
        for i, (data, lost) in zip(todo, render_each([records[i] for i in todo], template=template,
                                                               deviations=deviations, panels=panels)):
            out[i] = _write(data, targets[i], lost)
            if progress is not None:
                progress(sum(w.done for w in out), len(todo))
    return out


def expand_summaries(files: Sequence[Path]) -> tuple[list[Path], list]:
    """A consolidated summary workbook given among other files stands for the workbooks it lists
    (one section each). Returns the workbooks to report on and problems for missing ones. (A summary
    workbook given alone is reported as its consolidation: perfxl.api.report.)"""
    from perfxl.batch.reopen import read_summary

    out: list[Path] = []
    missing: list = []
    for f in files:
        book = read_summary(Path(f))
        if book is None:
            out.append(Path(f))          # an evaluation workbook (or unreadable: scoring says why)
            continue
        out += book.files
        missing += book.missing
    return out, missing


def load_results(files: Sequence[Path], password: str | None = None) -> list:
    """Score every workbook (the same pipeline as perfxl score) into FileRecords; all unusable inputs
    reported together. A consolidated summary workbook stands for the workbooks it lists."""
    from perfxl.score.engine import record
    from perfxl.score.pipeline import run

    files, missing = expand_summaries(files)
    records, unusable = [], list(missing)
    for f in files:
        try:
            records.append(record(run(f, password=password)))
        except UnusableInput as e:
            unusable.extend(e.problems)
    if unusable:
        raise UnusableInput(unusable)
    return records


def summary_dict(records: Sequence, written: Written | None, template: Path | None = None) -> dict:
    """The --json shape of a report run."""
    units = []
    for r in records:
        units.append({
            "file": r.file, "unit": text(r.info.get("unit")) or None,
            "year": r.info.get("year"), "kind": text(r.info.get("kind")) or None,
            "total": r.total, "grade": r.grade, "complete": r.complete,
            "indicators": len(r.indicators), "deductions": len(deduction_rows(r)), "deviations": len(r.deviations),
            "errors": sum(p.severity == ERROR for p in r.problems),
            "warnings": sum(p.severity == "warning" for p in r.problems),
            "basic": len(S.basic_rows(r)), "figures": len(S.figure_rows(r)), "surveys": len(r.survey or ())})
    problems = [p.to_dict() for r in records for p in r.problems]
    if written:
        problems += [p.to_dict() for p in written.problems]
    return {"output": str(written.output) if written else None,
            "backup": str(written.backup) if written and written.backup else None,
            "template": str(template) if template else None,
            "units": units, "problems": problems}
