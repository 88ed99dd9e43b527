"""Soak run (可靠性与安全): consolidate 2,000 workbooks of which 10% are broken, hostile or unusual,
with the perfxl.consolidate API. Every file must be accounted for (included + not included = found,
each broken file listed with its reason) and memory must stay flat: the resident memory of the main
process and of the worker processes is sampled while files are scored and printed at 25/50/75/100%.

Then the writer: ``--write`` files (default 400, every kind of broken file among them) are scored and
written back with perfxl's XML-level writer, half in place and half into new files. Every good file must
be written and read back with the same total, every broken one refused with a message and left
byte-identical, no temporary file may remain, and memory must stay flat (printed at 25/50/75/100%).

Prints the figures; exits 1 if a file is unaccounted for, a broken file was included, or a write went
wrong.

    python benchmarks/bench_soak.py [--files 2000] [--broken 0.1] [--jobs N] [--write 400] [--keep DIR]
"""
from __future__ import annotations

import argparse
import re
import shutil
import struct
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

from _common import make_collection, make_workbook

SHEET_PART = "xl/worksheets/sheet4.xml"            # 指标评分 in the standard template
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10)) + b"]>")


def repack(src: Path, dst: Path, member: str, edit) -> None:
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            zo.writestr(info.filename, edit(data) if info.filename == member else data)


def lie_about_size(path: Path, member: str, size: int) -> None:
    raw = bytearray(path.read_bytes())
    for sig, nl, na, sa in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        pos = raw.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", raw, pos + nl)[0]
            if raw[pos + na:pos + na + n] == member.encode():
                struct.pack_into("<I", raw, pos + sa, size)
            pos = raw.find(sig, pos + 4)
    path.write_bytes(bytes(raw))


def broken_kinds(good: Path, tmp: Path) -> dict[str, bytes]:
    """One file's bytes per kind of breakage (copied many times under different names)."""
    out: dict[str, bytes] = {}
    data = good.read_bytes()
    out["不是工作簿"] = "只是改了扩展名的文本".encode()
    out["截断"] = data[: len(data) // 2]
    out["空文件"] = b""

    def variant(name: str, member: str, edit) -> None:
        p = tmp / f"{name}.xlsx"
        repack(good, p, member, edit)
        out[name] = p.read_bytes()

    variant("实体炸弹", SHEET_PART, lambda d: LAUGHS + d.split(b"?>", 1)[-1])
    variant("极远单元格", SHEET_PART, lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    variant("公式无缓存", SHEET_PART, lambda d: re.sub(rb'<c r="E5"[^>]*?(?:/>|>.*?</c>)',
                                                     b'<c r="E5"><f>SUM(Z1:Z9)</f></c>', d, count=1, flags=re.S))
    variant("缺少指标表", "xl/workbook.xml", lambda d: d.replace("指标评分".encode(), "别的表".encode()))
    p = tmp / "谎报大小.xlsx"
    repack(good, p, SHEET_PART, lambda d: d.replace(
        b"</sheetData>",
        b'<row r="99"><c r="A99" t="inlineStr"><is><t>' + b"x" * (30 << 20) + b"</t></is></c></row></sheetData>"))
    lie_about_size(p, SHEET_PART, 80_000)
    out["谎报大小"] = p.read_bytes()
    try:
        from msoffcrypto.format.ooxml import OOXMLFile

        p = tmp / "加密.xlsx"
        with good.open("rb") as fh, p.open("wb") as w:
            OOXMLFile(fh).encrypt("secret", w)
        out["加密"] = p.read_bytes()
    except ImportError:
        pass
    return out


def rss_sampler(stop: threading.Event, samples: list) -> None:
    import psutil

    me = psutil.Process()
    while not stop.is_set():
        try:
            kids = sum(c.memory_info().rss for c in me.children(recursive=True))
        except psutil.Error:
            kids = 0
        samples.append((time.perf_counter(), me.memory_info().rss, kids))
        time.sleep(0.25)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--broken", type=float, default=0.1)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--write", type=int, default=400, help="files written back after consolidating (0: none)")
    ap.add_argument("--keep", type=Path, default=None, help="build the collection here and keep it")
    args = ap.parse_args()
    import psutil

    import perfxl

    n_broken = int(args.files * args.broken)
    root = args.keep or Path(tempfile.mkdtemp(prefix="perfxl-soak-"))
    folder = root / "收回"
    t0 = time.perf_counter()
    make_collection(folder, args.files - n_broken, n=args.indicators)
    good = make_workbook(root / "base.xlsx", n=args.indicators, unit="坏文件母本")
    kinds = broken_kinds(good, root)
    expected: dict[str, str] = {}
    names = sorted(kinds)
    for i in range(n_broken):
        kind = names[i % len(names)]
        f = folder / f"坏_{i:04d}_{kind}.xlsx"
        f.write_bytes(kinds[kind])
        expected[f.name] = kind
    print(f"collection: {args.files - n_broken:,} workbooks + {n_broken:,} broken ({len(names)} kinds: "
          f"{'、'.join(names)}) in {time.perf_counter() - t0:.0f} s")

    me = psutil.Process()
    marks: dict[int, tuple[float, float, float]] = {}
    samples: list = []
    stop = threading.Event()
    sampler = threading.Thread(target=rss_sampler, args=(stop, samples), daemon=True)
    start_rss = me.memory_info().rss

    def progress(done: int, total: int) -> None:
        for q in (25, 50, 75, 100):
            if q not in marks and done * 100 >= q * total:
                kids = sum(c.memory_info().rss for c in me.children(recursive=True))
                marks[q] = (time.perf_counter() - t1, me.memory_info().rss / 2**20, kids / 2**20)

    sampler.start()
    t1 = time.perf_counter()
    cons = perfxl.consolidate(folder, jobs=args.jobs, progress=progress)
    elapsed = time.perf_counter() - t1
    stop.set()
    sampler.join()

    print(f"consolidated in {elapsed:.1f} s ({args.files / elapsed:.0f} files/s); main process at start "
          f"{start_rss / 2**20:.0f} MB")
    print(" progress   time   main RSS   workers RSS (all)")
    for q in (25, 50, 75, 100):
        t, main_mb, kids_mb = marks.get(q, (float("nan"),) * 3)
        print(f"   {q:3d}%  {t:6.1f} s  {main_mb:7.0f} MB  {kids_mb:8.0f} MB")
    if samples:
        peak_main = max(s[1] for s in samples) / 2**20
        peak_all = max(s[1] + s[2] for s in samples) / 2**20
        print(f"peak while scoring: main {peak_main:.0f} MB, main + workers {peak_all:.0f} MB "
              f"({len(samples)} samples)")
    rejected = {Path(r["file"]).name: (r["category"], r["reason"]) for _, r in cons.rejected.iterrows()}
    found_ok = cons.found == args.files and cons.included + cons.not_included == cons.found
    missing = [f for f in expected if f not in rejected]
    print(f"found {cons.found:,}: included {cons.included:,}, not included {cons.not_included:,} "
          f"({'every file accounted for' if found_ok and not missing else 'MISMATCH'})")
    by_kind = Counter((expected[f], rejected[f][0]) for f in expected if f in rejected)
    for (kind, category), n in sorted(by_kind.items()):
        example = next(rejected[f][1] for f in expected if expected[f] == kind and f in rejected)
        print(f"  {kind:6s} -> {category}: {n:4d}  e.g. {example[:70]}")
    if missing:
        print(f"broken files not listed as not included: {missing[:5]}")
    written_ok = soak_writes(folder, expected, args.write) if args.write else True
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if found_ok and not missing and written_ok else 1


def soak_writes(folder: Path, broken: dict[str, str], count: int) -> bool:
    """Score and write back ``count`` files (broken ones included), half in place; check every outcome."""
    import psutil
    import python_calamine

    from perfxl.check.problems import UnusableInput
    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run

    files = sorted(folder.glob("*.xlsx"))
    bad = [f for f in files if f.name in broken]
    good = [f for f in files if f.name not in broken and "_评分" not in f.stem]
    chosen = (bad[: max(count // 10, 1)] + good)[:count]
    out = folder.parent / "写回"
    out.mkdir(exist_ok=True)
    me = psutil.Process()
    marks: dict[int, tuple[float, float]] = {}
    failures: list[str] = []
    t0 = time.perf_counter()
    written = refused = 0
    for i, f in enumerate(chosen, start=1):
        original = f.read_bytes()
        in_place = i % 2 == 0
        try:
            result = run(f)
            report = write_back(result, f, None if in_place else out / f.name, in_place=in_place)
        except UnusableInput as e:
            refused += 1
            if f.name not in broken or not e.problems or f.read_bytes() != original:
                failures.append(f"{f.name}: refused ({e.problems[0].message if e.problems else '?'})")
        else:
            written += 1
            if f.name in broken and result.total is not None and broken[f.name] not in ("公式无缓存",):
                failures.append(f"{f.name}: a broken file was written")
            book = python_calamine.CalamineWorkbook.from_path(str(report.output))
            summary = book.get_sheet_by_name("得分汇总").to_python()
            total = next((row[1] for row in summary if row and row[0] == "总分"), None)
            if result.total is not None and total != result.total:
                failures.append(f"{f.name}: total {total} != {result.total}")
        for q in (25, 50, 75, 100):
            if q not in marks and i * 100 >= q * len(chosen):
                marks[q] = (time.perf_counter() - t0, me.memory_info().rss / 2**20)
    leftovers = [p.name for d in (folder, out) for p in d.iterdir() if p.name.endswith(".tmp")]
    elapsed = time.perf_counter() - t0
    print(f"written back {written:,} and refused {refused:,} of {len(chosen):,} files in {elapsed:.1f} s "
          f"({elapsed / max(len(chosen), 1) * 1000:.0f} ms per file, read + score + write)")
    print(" progress   time   main RSS")
    for q in (25, 50, 75, 100):
        t, mb = marks.get(q, (float("nan"),) * 2)
        print(f"   {q:3d}%  {t:6.1f} s  {mb:7.0f} MB")
    if leftovers:
        failures.append(f"temporary files left: {leftovers[:3]}")
    for line in failures[:10]:
        print("WRITE PROBLEM:", line)
    return not failures


if __name__ == "__main__":
    raise SystemExit(main())
