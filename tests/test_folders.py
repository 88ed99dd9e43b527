"""Folders as they come back: perfxl's own backups (*.bak-*) and Office lock files (~$*) are no
submissions: consolidate leaves them out of the files found and lists them."""
from __future__ import annotations

import shutil


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
