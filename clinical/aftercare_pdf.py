"""The aftercare sheet as a printable PDF (fpdf2).

The fonts are vendored (clinical/fonts/, with their licences): DejaVu Sans
for Latin text and Lohit Devanagari, as fallback, for Hindi. Text shaping
(HarfBuzz, through uharfbuzz) joins Devanagari letters and their vowel
signs the way they are read; without it a Hindi sheet prints broken words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import get_language, gettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from clinical.aftercare_sheet import SheetView

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
DEVANAGARI = "LohitDevanagari"

INK = (17, 24, 39)
MUTED = (75, 85, 99)
URGENT = (153, 27, 27)
BULLET_INDENT = 5.0


class SheetPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font(DEVANAGARI, "", str(FONTS / "Lohit-Devanagari.ttf"))
        # Lohit has no bold: a bold Hindi heading prints in its regular weight.
        self.set_fallback_fonts([DEVANAGARI], exact_match=False)
        self.set_text_shaping(True)
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=20)

    def _render_styled_text_line(self, *args: Any, **kwargs: Any) -> Any:
        # fpdf2 2.8 states the font of a line only when it thinks it changed,
        # but a line that ends in the fallback font (Devanagari) leaves that
        # font set in the PDF for the next line: Latin text at the start of
        # the next line then prints as wrong glyphs. Stating the font again
        # at the start of every line costs a few bytes and prevents it.
        self.current_font_is_set_on_page = False
        return super()._render_styled_text_line(*args, **kwargs)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 4, self.footer_text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, str(self.page_no()), align="C")
        self.set_text_color(*INK)


def _para(pdf: SheetPDF, text: str, size: float = 10, style: str = "", indent: float = 0) -> None:
    if not text:
        return
    pdf.set_font(FAMILY, style, size)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(pdf.epw - indent, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _bullet(pdf: SheetPDF, text: str, size: float = 10, style: str = "") -> None:
    pdf.set_font(FAMILY, style, size)
    pdf.set_x(pdf.l_margin)
    pdf.cell(BULLET_INDENT, size * 0.5, "•")
    pdf.multi_cell(pdf.epw - BULLET_INDENT, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: SheetPDF, text: str, color: tuple[int, int, int] = INK) -> None:
    pdf.ln(3)
    pdf.set_text_color(*color)
    _para(pdf, text, size=13, style="B")
    pdf.set_text_color(*INK)
    pdf.ln(1)


def sheet_pdf(view: SheetView) -> bytes:
    """The sheet as a PDF document, in the active language."""
    pdf = SheetPDF(view.footer)
    title = gettext("Aftercare")
    pdf.set_title(f"{title}: {view.patient_name}, {view.session_day}")
    pdf.set_author(view.clinic.name)
    pdf.set_lang(get_language() or "en")
    pdf.add_page()

    # Header: who to call, whose sheet, which session.
    _para(pdf, view.clinic.name, size=14, style="B")
    if view.clinic.phone:
        _para(pdf, gettext("Phone: %(phone)s") % {"phone": view.clinic.phone})
    pdf.ln(2)
    _para(pdf, title, size=18, style="B")
    _para(pdf, gettext("Patient: %(name)s") % {"name": view.patient_name})
    _para(pdf, gettext("Session: %(day)s") % {"day": view.session_day})
    _para(pdf, gettext("Area: %(area)s") % {"area": view.area_name})
    _para(
        pdf,
        gettext("The session ended at %(time)s.") % {"time": view.session_end},
        size=9,
    )
    pdf.set_draw_color(*MUTED)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(3)

    _heading(pdf, gettext("What to do and avoid"))
    for line in view.do_and_avoid:
        _bullet(pdf, line.text)
        if line.until:
            _para(
                pdf,
                gettext("Until %(time)s.") % {"time": line.until},
                style="B",
                indent=BULLET_INDENT,
            )

    _heading(pdf, gettext("What is normal"))
    for n in view.normal:
        _bullet(pdf, n.name, style="B")
        _para(pdf, " ".join(p for p in (n.advice, n.course) if p), indent=BULLET_INDENT)
        _para(pdf, n.see_doctor, size=9, indent=BULLET_INDENT)
        pdf.ln(1)

    _heading(pdf, gettext("When to call the clinic"))
    if view.clinic.phone:
        _para(
            pdf,
            gettext("Call %(clinic)s on %(phone)s.")
            % {"clinic": view.clinic.name, "phone": view.clinic.phone},
            style="B",
        )
    if view.urgent:
        pdf.set_text_color(*URGENT)
        _para(pdf, gettext("Get help quickly"), size=11, style="B")
        pdf.set_text_color(*INK)
        for c in view.urgent:
            _bullet(pdf, c.name, style="B")
            _para(pdf, c.text, indent=BULLET_INDENT)
            _para(pdf, c.about, size=9, indent=BULLET_INDENT)
            pdf.ln(1)
    if view.other_calls:
        _para(pdf, gettext("Call the clinic"), size=11, style="B")
        for c in view.other_calls:
            if c.name:
                _bullet(pdf, c.name, style="B")
                _para(pdf, c.text, indent=BULLET_INDENT)
            else:
                _bullet(pdf, c.text)
    pdf.ln(1)
    _para(pdf, view.emergency, style="B")

    _heading(pdf, gettext("Sources"))
    for source in view.sources:
        _bullet(
            pdf,
            f"{source.key}: {source.title}" + (f" ({source.url})" if source.url else ""),
            size=8,
        )
    return bytes(pdf.output())
