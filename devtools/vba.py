"""Developer tools around LibreOffice's Python bridge: build perfxl's VBA project from
macros/perfxl.bas, and ask LibreOffice what it sees in a workbook (used by the tests)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from perfxl.excel.xlsm import BAS, MODULE, VBA_PROJECT, read_bas, vba_ascii

HERE = Path(__file__).resolve().parent


def uno_python() -> str | None:
    """A Python interpreter that can import LibreOffice's ``uno`` module."""
    for exe in ("/usr/bin/python3", shutil.which("python3")):
        if exe and subprocess.run([exe, "-c", "import uno"], capture_output=True).returncode == 0:
            return exe
    return None


def run_lo(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    exe = uno_python()
    if exe is None:
        raise RuntimeError("需要 LibreOffice 的 Python 接口（Debian/Ubuntu：apt-get install python3-uno）")
    return subprocess.run([exe, str(HERE / "lo_uno.py"), *args], capture_output=True, text=True,
                          timeout=timeout, check=True)


def build_vba_project(out: Path = VBA_PROJECT, bas: Path = BAS) -> Path:
    """Build ``vbaProject.bin`` holding the perfxl module from ``macros/perfxl.bas``."""
    with tempfile.TemporaryDirectory(prefix="perfxl-vba-") as tmp:
        src = Path(tmp) / "perfxl.bas.txt"
        src.write_text(vba_ascii(read_bas(bas)), encoding="utf-8")
        xlsm = Path(tmp) / "vba.xlsm"
        run_lo("build-vba", str(xlsm), MODULE, str(src))
        with zipfile.ZipFile(xlsm) as zf:
            data = zf.read("xl/vbaProject.bin")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
