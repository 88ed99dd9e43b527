"""Folders as they come back: perfxl's own backups (*.bak-*), Office lock files (~$*) and macOS
leftovers (._*, __MACOSX/) are no submissions: consolidate leaves them out of the files found and lists
them. Mistyped paths and an -o that is a folder or a submitted workbook are refused before any work."""
from __future__ import annotations

import shutil
from pathlib import Path

from perfxl.model import layout as L


def test_consolidate_skips_backups_and_lock_files_and_lists_them(example, tmp_path, cli):
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲.xlsx")
    assert cli("score", folder / "甲.xlsx", "--in-place").code == 0       # leaves 甲.bak-….xlsx beside it
    (backup,) = folder.glob("甲.bak-*.xlsx")
    (folder / "~$甲.xlsx").write_bytes(b"\x00" * 165)                    # Excel's lock file
    run = cli("consolidate", folder, "-o", tmp_path / "汇总.xlsx")
    assert run.code == 0, run.text
    assert "共找到 1 个文件：纳入 1 个，未纳入 0 个" in run.out
    assert "另跳过 2 个不是提交的文件（不计入找到的文件）：" in run.out
    assert f"“{backup.name}”是 perfxl 写入前留下的备份，不是新的提交，已跳过" in run.out
    assert "“~$甲.xlsx”是 Excel、WPS 打开文件时生成的临时锁文件，不是工作簿，已跳过" in run.out
    data = cli("consolidate", folder, "--json", "-o", tmp_path / "汇总2.xlsx").json()
    assert (data["found"], data["included"], data["not_included"]) == (1, 1, 0)
    assert sorted(s["file"].rsplit("/", 1)[-1] for s in data["skipped"]) == sorted([backup.name, "~$甲.xlsx"])


def test_summary_workbooks_in_the_folder_are_skipped_not_rejected(example, tmp_path, cli):
    """An earlier run's 汇总.xlsx saved into the folder, and the administrator's 汇总 workbook, are listed
    as skipped; a workbook that merely lacks 指标评分 is still rejected with its reason."""
    from openpyxl import Workbook

    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲.xlsx")
    assert cli("consolidate", folder, "-o", folder / "汇总.xlsx").code == 0
    assert cli("template", "--summary", "-o", folder / "汇总工具.xlsm").code == 0
    wb = Workbook()
    wb.active.title = "汇总"                                               # not perfxl's: no 汇总说明
    wb.save(folder / "别的表.xlsx")
    data = cli("consolidate", folder, "--json", "-o", tmp_path / "汇总2.xlsx").json()
    assert (data["found"], data["included"], data["not_included"]) == (2, 1, 1)
    assert sorted(s["file"].rsplit("/", 1)[-1] for s in data["skipped"]) == ["汇总.xlsx", "汇总工具.xlsm"]
    assert all("是 perfxl 写出的汇总工作簿" in s["reason"] for s in data["skipped"])
    (rejected,) = data["rejected"]
    assert rejected["file"].endswith("别的表.xlsx") and "缺少工作表“指标评分”" in rejected["reason"]
    # scoring a summary by mistake says what it is, not that a sheet is missing
    run = cli("score", folder / "汇总.xlsx", "--json")
    assert run.code == 2 and run.json()["problems"][0]["code"] == "summary_not_evaluation"
    assert "perfxl report" in run.json()["problems"][0]["fix"]


def test_a_summary_written_elsewhere_finds_its_workbooks_from_anywhere(example, tmp_path, cli):
    """consolidate run inside the folder with relative names and -o into another folder: the 汇总
    sheet names the files relative to itself, so report finds them from any working directory."""
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲.xlsx")
    (tmp_path / "成果").mkdir()
    assert cli("consolidate", ".", "-o", "../成果/汇总.xlsx", cwd=folder).code == 0
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "成果" / "汇总.xlsx")["汇总"]
    files_col = [c.value for c in ws[1]].index("文件") + 1
    assert ws.cell(2, files_col).value == "../收回/甲.xlsx"
    for cwd in (tmp_path, folder, tmp_path / "成果"):
        run = cli("report", tmp_path / "成果" / "汇总.xlsx", "-o", tmp_path / f"报告{cwd.name}.docx", "--json", cwd=cwd)
        assert run.code == 0, run.text
        assert run.json()["units"][0]["total"] == 88.78


def test_a_mistyped_folder_refuses_the_run_and_writes_nothing(example, tmp_path, cli):
    """A path that does not exist is a typo, not a failed submission: exit 2 naming it, no summary
    written (as for an empty folder), also beside a folder that exists, and an earlier summary kept."""
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲.xlsx")
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", "收会", "-o", out)                         # run in tmp_path
    assert run.code == 2, run.text
    assert "找不到文件或文件夹“收会”" in run.err
    assert not out.exists()
    assert cli("consolidate", folder, "-o", out).code == 0
    before = out.read_bytes()
    mix = cli("consolidate", folder, tmp_path / "收会", "-o", out, "--force", "--json")
    assert mix.code == 2, mix.text
    assert [(p["code"], p["file"]) for p in mix.json()["problems"]] == [
        ("consolidate_path_missing", str(tmp_path / "收会"))]
    assert out.read_bytes() == before and not list(tmp_path.glob("汇总.bak-*"))


def test_the_output_cannot_be_a_submitted_workbook_but_may_be_an_earlier_summary(example, tmp_path, cli):
    """-o naming one of the workbooks to consolidate is refused before any work, even with --force
    (it would replace that evaluator's workbook and leave them out of the run); a summary perfxl wrote
    there earlier is replaced with --force, as before."""
    folder = tmp_path / "收回"
    folder.mkdir()
    target = folder / "甲_张三.xlsx"
    shutil.copy2(example, target)
    before = target.read_bytes()
    for force in ((), ("--force",)):
        run = cli("consolidate", "收回", "-o", "收回/甲_张三.xlsx", *force)
        assert run.code == 2, run.text
        assert "输出文件“收回/甲_张三.xlsx”是要汇总的工作簿之一" in run.err and "--force" not in run.err
        assert target.read_bytes() == before
        assert [p.name for p in folder.iterdir()] == ["甲_张三.xlsx"]
    named = cli("consolidate", target, "-o", target, "--force", "--json")
    assert named.code == 2 and named.json()["problems"][0]["code"] == "consolidate_output_is_input"
    assert cli("consolidate", folder, "-o", folder / "汇总.xlsx").code == 0
    again = cli("consolidate", folder, "-o", folder / "汇总.xlsx", "--force", "--json")
    assert again.code == 0, again.text
    assert (again.json()["found"], again.json()["included"], len(again.json()["skipped"])) == (1, 1, 0)
    assert again.json()["backup"] and target.read_bytes() == before


def test_the_output_cannot_be_a_folder(example, tmp_path, cli):
    """-o naming a folder is refused before any work, with or without --force: no advice to add
    --force, no backup of a folder."""
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲.xlsx")
    (tmp_path / "结果.xlsx").mkdir()
    for force in ((), ("--force",)):
        run = cli("consolidate", "收回", "-o", "结果.xlsx", *force)
        assert run.code == 2, run.text
        assert "输出路径“结果.xlsx”不是文件：这是一个文件夹" in run.err, run.err
        assert "以 .xlsx 结尾的文件名" in run.err and "--force" not in run.err
        assert not any((tmp_path / "结果.xlsx").iterdir()) and not list(tmp_path.glob("结果.bak-*"))


def test_macos_leftovers_are_skipped_not_failed(example, tmp_path, cli):
    """A folder zipped on a Mac: the AppleDouble ._name files beside the workbooks and everything in
    __MACOSX/ are Finder metadata, skipped and listed like lock files, not failed submissions."""
    from openpyxl import load_workbook

    folder = tmp_path / "收回"
    (folder / "__MACOSX" / "收回").mkdir(parents=True)
    shutil.copy2(example, folder / "甲单位_张三.xlsx")
    apple_double = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 64
    for p in (folder / "._甲单位_张三.xlsx", folder / "__MACOSX" / "收回" / "._甲单位_张三.xlsx"):
        p.write_bytes(apple_double)
    shutil.copy2(example, folder / "__MACOSX" / "甲单位_张三.xlsx")       # whatever lies there
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", folder, "-o", out)
    assert run.code == 0, run.text
    assert "共找到 1 个文件：纳入 1 个，未纳入 0 个" in run.out
    assert "另跳过 3 个不是提交的文件（不计入找到的文件）：" in run.out
    assert "“._甲单位_张三.xlsx”是 macOS 复制或压缩文件时附带的隐藏文件" in run.out
    readme = "\n".join(str(c) for row in load_workbook(out)["汇总说明"].iter_rows(values_only=True) for c in row if c)
    assert "另跳过 3 个不是提交的文件" in readme and "._甲单位_张三.xlsx" in readme
    data = cli("consolidate", folder, "--json", "-o", tmp_path / "汇总2.xlsx").json()
    assert (data["found"], data["included"], data["not_included"]) == (1, 1, 0)
    assert sorted(Path(s["file"]).relative_to(folder).as_posix() for s in data["skipped"]) == [
        "._甲单位_张三.xlsx", "__MACOSX/收回/._甲单位_张三.xlsx", "__MACOSX/甲单位_张三.xlsx"]
    assert all("macOS" in s["reason"] for s in data["skipped"])


def test_wps_et_files_in_the_folder_are_found_and_consolidated(example, tmp_path, cli, soffice):
    """WPS 表格 saves in its own .et format (an .xls inside, read by content): a folder of them was
    "没有找到 Excel 工作簿", and beside .xlsx files they were left out without a word."""
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲.xlsx")
    soffice.convert(example, "xls", tmp_path / "xls")
    shutil.copy2(tmp_path / "xls" / example.with_suffix(".xls").name, folder / "乙.et")
    data = cli("consolidate", folder, "--json", "-o", tmp_path / "汇总.xlsx").json()
    assert (data["found"], data["included"], data["not_included"]) == (2, 1, 1)
    [duplicate] = data["rejected"]                    # the same unit and year: the two are one submission
    assert duplicate["file"].endswith(("甲.xlsx", "乙.et")) and "重复提交" in duplicate["category"]
    score = cli("score", folder / "乙.et", "--json")
    assert score.code == 0 and score.json()["total"] == 88.78
    # the results go to a new .xlsx beside it: LibreOffice opens it and sees perfxl's total
    written = soffice.sheets(Path(score.json()["output"]))
    summary = {r[0]: r[1] for r in written[L.SHEET_SUMMARY] if len(r) > 1}
    assert float(summary["总分"]) == 88.78
