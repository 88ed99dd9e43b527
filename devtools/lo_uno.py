"""LibreOffice (headless, through UNO) for the macro-enabled workbook. Stdlib + ``uno`` only.

Run with a Python that has LibreOffice's ``uno`` module (Debian: package python3-uno, used by
/usr/bin/python3), never imported by perfxl itself:

    python3 lo_uno.py build-vba OUT.xlsm MODULE SOURCE_FILE   # a workbook whose VBA project
                                                              # holds MODULE (LibreOffice writes
                                                              # xl/vbaProject.bin from it)
    python3 lo_uno.py inspect FILE                            # JSON: sheets, form controls and
                                                              # the Basic/VBA modules LibreOffice
                                                              # sees when it opens FILE
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno  # noqa: E402  (LibreOffice's Python bridge)
from com.sun.star.beans import PropertyValue  # noqa: E402

PROJECT = "VBAProject"


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class Office:
    """A private headless soffice, connected over a named pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="perfxl-lo-")
        self.pipe = f"perfxl{os.getpid()}"
        exe = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
        self.proc = subprocess.Popen(
            [exe, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             "-env:UserInstallation=" + uno.systemPathToFileUrl(self.profile),
             f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 90
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("LibreOffice did not start")
                time.sleep(0.2)
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def open(self, url):
        return self.desktop.loadComponentFromURL(url, "_blank", 0, (
            _prop("Hidden", True), _prop("ReadOnly", False),
            # load VBA as code, do not run anything
            _prop("MacroExecutionMode", 0)))

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def build_vba(out, module, source_file):
    """Save a one-sheet workbook whose VBA project holds ``module`` as .xlsm."""
    from com.sun.star.script import ModuleInfo
    from com.sun.star.script.ModuleType import NORMAL

    with open(source_file, encoding="utf-8") as fh:
        code = fh.read()
    office = Office()
    try:
        doc = office.open("private:factory/scalc")
        libs = doc.BasicLibraries
        libs.VBACompatibilityMode = True
        libs.ProjectName = PROJECT
        lib = libs.getByName(PROJECT) if libs.hasByName(PROJECT) else libs.createLibrary(PROJECT)
        info = ModuleInfo()
        info.ModuleType = NORMAL
        lib.insertModuleInfo(module, info)
        lib.insertByName(module, "Option VBASupport 1\n" + code)
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)),
                       (_prop("FilterName", "Calc MS Excel 2007 VBA XML"),))
        doc.close(True)
    finally:
        office.close()


def inspect(path):
    office = Office()
    try:
        doc = office.open(uno.systemPathToFileUrl(os.path.abspath(path)))
        if doc is None:
            return {"opened": False}
        sheets = list(doc.Sheets.ElementNames)
        libs = doc.BasicLibraries
        modules = {}
        for name in libs.ElementNames:
            libs.loadLibrary(name)
            lib = libs.getByName(name)
            modules[name] = {m: lib.getByName(m) for m in lib.ElementNames}
        controls = []
        for sheet_name in sheets:
            page = doc.Sheets.getByName(sheet_name).DrawPage
            for i in range(page.Count):
                shape = page.getByIndex(i)
                model = getattr(shape, "Control", None)
                if model is None:
                    continue
                controls.append({"sheet": sheet_name, "label": getattr(model, "Label", None),
                                 "name": getattr(model, "Name", None),
                                 "events": _control_events(doc, sheet_name, model)})
        vba = bool(getattr(libs, "VBACompatibilityMode", False))
        notes = {s: doc.Sheets.getByName(s).Annotations.Count for s in sheets}
        doc.close(True)
        return {"opened": True, "sheets": sheets, "modules": modules, "controls": controls,
                "notes": notes, "vba_mode": vba}
    finally:
        office.close()


def _control_events(doc, sheet_name, model):
    """Script events bound to a form control (macro assigned to the button)."""
    try:
        forms = doc.Sheets.getByName(sheet_name).DrawPage.Forms
        for f in range(forms.Count):
            form = forms.getByIndex(f)
            for i in range(form.Count):
                if form.getByIndex(i) == model:
                    return [e.ScriptCode for e in form.getScriptEvents(i)]
    except Exception:
        pass
    return []


def main(argv):
    if argv[:1] == ["build-vba"] and len(argv) == 4:
        build_vba(argv[1], argv[2], argv[3])
        return 0
    if argv[:1] == ["inspect"] and len(argv) == 2:
        print(json.dumps(inspect(argv[1]), ensure_ascii=False))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
