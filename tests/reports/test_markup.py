"""The HTML report's builder escapes whatever is put into it unless it is HTML."""

from __future__ import annotations

from slaboard.reports.markup import Markup, escape

EVIL = "<script>alert('x')</script> & \"quotes\""
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;"


def test_text_put_into_markup_is_escaped_and_markup_is_kept():
    cell = Markup("<td>{}</td>").format(EVIL)
    assert cell == f"<td>{ESCAPED}</td>" and isinstance(cell, Markup)
    row = Markup("<tr>{}</tr>").format(cell)  # already HTML: not escaped twice
    assert row == f"<tr><td>{ESCAPED}</td></tr>"
    assert Markup("").join([cell, EVIL]) == f"<td>{ESCAPED}</td>{ESCAPED}"
    assert Markup("<p>") + EVIL == f"<p>{ESCAPED}" and EVIL + Markup("</p>") == f"{ESCAPED}</p>"
    assert Markup('<a title="{t}">').format(t='" onmouseover="x') == '<a title="&quot; onmouseover=&quot;x">'


def test_numbers_keep_their_format_and_escape_is_idempotent():
    assert Markup('<rect x="{:.1f}" n="{}"/>').format(1.25, 3) == '<rect x="1.2" n="3"/>'
    assert escape(escape(EVIL)) == ESCAPED
    assert Markup("{}").format(True) == "True"
