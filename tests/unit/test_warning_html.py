"""Warning texts are checked against what Telegram's HTML parser accepts, and previewed
in the console without letting any other markup through."""

from __future__ import annotations

import pytest

from admin.telegram_preview import preview
from storage.telegram_html import HtmlError, check_html, to_plain, visible_length

ACCEPTED = [
    "Cảnh báo <b>lừa đảo</b> qua <i>mạng</i>",
    "<u>gạch</u> <ins>chân</ins> <s>bỏ</s> <strike>bỏ</strike> <del>bỏ</del> <em>e</em>",
    '<a href="https://congan.langson.gov.vn">Công an tỉnh</a> &amp; &lt;113&gt; &quot;',
    '<span class="tg-spoiler">bí mật</span> <tg-spoiler>ẩn</tg-spoiler>',
    '<pre><code class="language-python">x = 1</code></pre> <code>mã</code>',
    "<blockquote>trích</blockquote><blockquote expandable>dài</blockquote>",
    "<b>đậm <i>nghiêng <u>gạch</u></i></b> &#128680; &#x1F6A8;",
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
]
REFUSED = {
    "giá < 100.000đ": "unescaped '<'",
    "A & B": "unescaped '&'",
    "<b>chưa đóng": "never closed",
    "<b><i>sai thứ tự</b></i>": "expected </i>",
    "<br>": "not supported",
    "<script>alert(1)</script>": "not supported",
    '<a href="javascript:alert(1)">x</a>': "href",
    '<b onclick="x()">x</b>': "attribute 'onclick'",
    '<span class="red">x</span>': "tg-spoiler",
    "&nbsp;": "unsupported entity",
    "<code><b>x</b></code>": "inside <code>",
    "<blockquote><blockquote>x</blockquote></blockquote>": "quote inside a quote",
}


@pytest.mark.parametrize("text", ACCEPTED)
def test_telegram_html_is_accepted(text: str) -> None:
    check_html(text)


@pytest.mark.parametrize(("text", "why"), REFUSED.items())
def test_what_telegram_would_refuse_is_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(HtmlError, match=why.replace("(", r"\(")):
        check_html(text)


def test_length_is_counted_as_telegram_counts_it() -> None:
    assert to_plain("<b>Tết</b> &amp; pháo") == "Tết & pháo"
    assert visible_length("<b>ab</b>") == 2
    assert visible_length("🚨") == 2  # UTF-16 code units, like Telegram


def test_the_preview_shows_formatting_and_nothing_else() -> None:
    html = str(preview('<b>Đậm</b> <a href="https://x.vn/?a=1&amp;b=2">link</a> &lt;b&gt;'))
    assert html == (
        '<strong>Đậm</strong> <a href="https://x.vn/?a=1&amp;b=2" rel="noopener noreferrer"'
        ' target="_blank">link</a> &lt;b&gt;'
    )
    assert str(preview("<script>alert(1)</script>")) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert (
        str(preview('<span class="tg-spoiler">ẩn</span>')) == '<span class="tg-spoiler">ẩn</span>'
    )
