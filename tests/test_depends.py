"""Which formulas read the sheets a survey import changed (io.xlsx.depends): only those lose their saved
results. References are read from the formula text; what cannot be followed counts as reading everything."""
from __future__ import annotations

from perfxl.io.xlsx.depends import reading, references


def test_references_as_written():
    assert references("SUM(A1:B2)+C3", "表") == [("表", 1, 1, 2, 2), ("表", 3, 3, 3, 3)]
    assert references("COUNTIFS('问卷'!C:C,\"满意\")/'问卷''s'!$A$2", "统计") == [
        ("问卷", 1, 3, 1_048_576, 3), ("问卷's", 2, 1, 2, 1)]
    assert references("问卷!2:3", "x") == [("问卷", 2, 1, 3, 16_384)]
    # text is not a reference, nor is a function whose name looks like a cell
    assert references('IF(A1="B2",LOG10(100),0)', "s") == [("s", 1, 1, 1, 1)]
    assert references("TRUE", "s") == [] and references("1e5*2", "s") == []


def test_what_cannot_be_followed_reads_everything():
    assert references('INDIRECT("A"&B1)', "s") is None
    assert references("OFFSET(A1,1,0)", "s") is None
    assert references("SUM(预算表)", "s") is None                  # a defined name
    assert references("[1]Sheet1!A1", "s") is None                 # another workbook


def test_reading_follows_formulas_through_sheets_and_ranges():
    formulas = {
        ("统计", 2, 2): "COUNTIFS('问卷'!C:C,\"满意\")",           # reads the changed sheet
        ("指标评分", 5, 12): "'统计'!B2",                            # through it
        ("指标评分", 5, 13): "L5*2",                                # and on
        ("得分汇总", 10, 4): "SUM('指标评分'!M2:M400)",             # a wide range holding M5
        ("得分汇总", 4, 2): "D10",
        ("指标评分", 2, 5): "1*2",                                  # the user's own: reads nothing changed
        ("指标评分", 6, 13): "E2*3",
        ("其他", 1, 1): None,                                       # a shared formula's follower
    }
    stale = reading(formulas, {"问卷"})
    assert stale == {("统计", 2, 2), ("指标评分", 5, 12), ("指标评分", 5, 13), ("得分汇总", 10, 4),
                     ("得分汇总", 4, 2), ("其他", 1, 1)}
    assert reading({("问卷", 3, 3): "A1+1"}, {"问卷"}) == {("问卷", 3, 3)}   # a formula on the sheet itself


def test_canonical_makes_the_programs_spellings_alike():
    from perfxl.io.xlsx.depends import canonical

    ours = 'IF(AND(ISTEXT(C3),EXACT(TRIM(C3),"万元")),FALSE,"a  b")'
    assert canonical('IF(AND(ISTEXT(C3), EXACT(TRIM(C3),"万元")),FALSE(),"a  b")') == canonical(ours)   # LibreOffice
    assert canonical("_xlfn.IFS(a1>0,1)") == canonical("IFS(A1>0,1)")                                      # Excel
    assert canonical('IF(A1="a b",1,0)') != canonical('IF(A1="ab",1,0)')            # text in quotes is kept
    assert canonical("B3-B2") != canonical("B2-B3")
    assert canonical("'基本信息'!B2&'问卷''s'!A1") == canonical("基本信息!B2&'问卷''s'!A1")          # LibreOffice
    assert canonical("IF(A1>1E-09,B$2*2.50,0)") == canonical("IF(A1>0.000000001,B$2*2.5,0)")
    assert canonical("SUM(A1:A10)+'2024'!C3") != canonical("SUM(A1:A1)+'2024'!C3")       # references stay
