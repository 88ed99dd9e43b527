"""Writing results back: new file by default, in place with a backup, never losing content."""
from __future__ import annotations

import hashlib
import zipfile

from openpyxl import load_workbook
from openpyxl.drawing.image import Image as XLImage
from PIL import Image as PILImage


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_writes_a_new_file_and_leaves_the_input(example, cli):
    before = digest(example)
    run = cli("score", example, "--json")
    assert run.code == 0
    out = example.with_name(example.stem + "_评分.xlsx")
    assert run.json()["output"] == str(out)
    assert digest(example) == before
    ws = load_workbook(out, data_only=True)["指标评分"]
    assert ws["P2"].value == 2 and ws["Q2"].value == 1 and "依据评分标准" in ws["R2"].value


def test_rerun_replaces_own_output_without_piling_backups(example, cli):
    cli("score", example)
    cli("score", example)
    assert not list(example.parent.glob("*.bak-*"))


def test_edited_output_is_backed_up_before_replacing(example, cli):
    cli("score", example)
    out = example.with_name(example.stem + "_评分.xlsx")
    wb = load_workbook(out)
    wb.properties.lastModifiedBy = "评价人"          # as Excel does when a person saves it
    wb.save(out)
    edited = digest(out)
    run = cli("score", example)
    backups = list(example.parent.glob("*_评分.bak-*.xlsx"))
    assert len(backups) == 1 and digest(backups[0]) == edited
    assert "已备份" in run.out


def test_in_place_keeps_a_byte_identical_backup(example, cli):
    before = digest(example)
    run = cli("score", example, "--in-place")
    assert run.code == 0
    [bak] = list(example.parent.glob("*.bak-*.xlsx"))
    assert digest(bak) == before
    assert load_workbook(example, data_only=True)["得分汇总"]["B4"].value == 88.78


def _with_image(path):
    png = path.parent / "logo.png"
    PILImage.new("RGB", (20, 20), "red").save(png)
    wb = load_workbook(path)
    wb["说明"].add_image(XLImage(str(png)), "H2")
    wb.save(path)


def test_an_image_survives_in_place_and_in_a_new_file(example, cli):
    _with_image(example)
    with zipfile.ZipFile(example) as zf:
        media = {n: zf.read(n) for n in zf.namelist() if n.startswith(("xl/media/", "xl/drawings/drawing"))}
    assert media
    new = cli("score", example, "--json")
    assert new.code == 0 and not new.json()["problems"]
    run = cli("score", example, "--in-place", "--json")
    assert run.code == 0, run.text
    for path in (example, example.with_name(example.stem + "_评分.xlsx")):
        with zipfile.ZipFile(path) as zf:
            assert {n: zf.read(n) for n in media} == media
    assert len(list(example.parent.glob("*.bak-*"))) == 1


def test_file_open_in_excel_is_not_clobbered(example, cli):
    lock = example.with_name("~$" + example.name)
    lock.write_bytes(b"owner")
    before = digest(example)
    run = cli("score", example, "--in-place", "--json")
    assert run.code == 2
    assert "正在被 Excel 打开" in run.json()["problems"][0]["message"]
    assert digest(example) == before


def test_formula_like_text_stays_text(make_workbook, cli, soffice):
    def inject(wb):
        wb["基本信息"]["B2"] = "=HYPERLINK(\"http://x\",\"点我\")"
    path = make_workbook(mutate=inject)
    path2 = path.with_name("in.xlsx")
    # the cell arrives as text (a user typed '=... with a quote prefix)
    wb = load_workbook(path)
    wb["基本信息"]["B2"].data_type = "s"
    wb.save(path2)
    assert cli("score", path2).code == 0
    out = path2.with_name("in_评分.xlsx")
    # 得分汇总 shows the typed text through a reference to it: the text itself never becomes a formula
    summary = load_workbook(out)["得分汇总"]
    assert summary["B2"].data_type == "f" and "HYPERLINK" not in summary["B2"].value
    assert "'基本信息'!B2" in summary["B2"].value
    assert load_workbook(out, data_only=True)["得分汇总"]["B2"].value.startswith("=HYPERLINK")
    seen = {r[0]: r[1] for r in soffice.sheets(out)["得分汇总"] if len(r) > 1}
    assert seen["单位名称"].startswith("=HYPERLINK")
