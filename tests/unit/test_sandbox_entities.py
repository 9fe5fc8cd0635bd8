"""HTML parse mode of the sandbox: what a bot sees back from Telegram for the text it sends."""

import pytest

from sandbox.entities import FormatError, format_text, to_html, utf16_len


def html(text: str) -> tuple[str, list[dict[str, object]]]:
    return format_text(text, parse_mode="HTML")


def spans(text: str, entities: list[dict[str, object]]) -> list[tuple[str, str]]:
    """(type, covered text) pairs, slicing by UTF-16 offsets as a Telegram client does."""
    units = text.encode("utf-16-le")
    found = []
    for entity in entities:
        start, length = int(entity["offset"]), int(entity["length"])  # type: ignore[call-overload]
        piece = units[start * 2 : (start + length) * 2].decode("utf-16-le")
        found.append((str(entity["type"]), piece))
    return found


def test_vietnamese_and_emoji_offsets_are_utf16_code_units() -> None:
    text, entities = html("👮 <b>Mã tin: TB-2026-000123</b> — <i>Cảnh báo lừa đảo 🚨</i> xong")
    assert text == "👮 Mã tin: TB-2026-000123 — Cảnh báo lừa đảo 🚨 xong"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 22},
        {"type": "italic", "offset": 28, "length": 19},
    ]
    assert spans(text, entities) == [
        ("bold", "Mã tin: TB-2026-000123"),
        ("italic", "Cảnh báo lừa đảo 🚨"),
    ]
    assert utf16_len("🚨") == 2


def test_all_supported_tags_produce_their_entities() -> None:
    text, entities = html(
        "<strong>b</strong> <em>i</em> <ins>u</ins> <del>s</del> <strike>s</strike> "
        '<tg-spoiler>p</tg-spoiler> <span class="tg-spoiler">q</span> <code>c</code> '
        '<a href="https://congan.gov.vn">l</a> <blockquote>q</blockquote>'
        "<blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "text_link",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert entities[8]["url"] == "https://congan.gov.vn/"
    assert entities[11]["custom_emoji_id"] == "5368324170671202286"
    assert text.endswith("qe👍")


def test_pre_with_language_and_plain_pre() -> None:
    text, entities = html('<pre><code class="language-python">print("xin chào")</code></pre>')
    assert (text, entities) == (
        'print("xin chào")',
        [{"type": "pre", "offset": 0, "length": 17, "language": "python"}],
    )
    assert html("<pre><code>x = 1</code></pre>")[1] == [{"type": "pre", "offset": 0, "length": 5}]


def test_character_references_are_decoded() -> None:
    text, entities = html("a &lt;b&gt; &amp; &quot;c&quot; &#272;&#x1F6A8; <b>&lt;3</b>")
    assert text == 'a <b> & "c" Đ🚨 <3'
    assert spans(text, entities) == [("bold", "<3")]


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Tội phạm <br> mới", 'Unsupported start tag "br" at byte offset 13'),
        ("<b>chưa đóng", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_malformed_html_is_rejected_like_telegram(source: str, description: str) -> None:
    with pytest.raises(FormatError) as error:
        html(source)
    assert str(error.value) == "can't parse entities: " + description


def test_bare_ampersand_is_rejected_unless_lenient() -> None:
    with pytest.raises(FormatError, match="byte offset 4"):
        html("Tom & Jerry")
    assert format_text("Tom & Jerry", parse_mode="HTML", strict_ampersand=False)[0] == "Tom & Jerry"


def test_markdown_is_refused_clearly() -> None:
    with pytest.raises(FormatError, match="HTML only"):
        format_text("*x*", parse_mode="MarkdownV2")


def test_text_is_trimmed_and_whitespace_entities_dropped() -> None:
    assert html("  \n<b> Xin chào </b>  \n") == (
        "Xin chào",
        [{"type": "bold", "offset": 0, "length": 8}],
    )
    assert html("<b> </b>") == ("", [])
    assert format_text("a\r\nb\tc") == ("a\nb c", [])


def test_bold_is_split_around_a_link_and_adjacent_bold_merged() -> None:
    text, entities = html('<b>ab<a href="https://x.vn">cd</a>ef</b> <b>g</b><b>h</b>')
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 2, "length": 2, "url": "https://x.vn/"},
        {"type": "bold", "offset": 2, "length": 2},
        {"type": "bold", "offset": 4, "length": 2},
        {"type": "bold", "offset": 7, "length": 2},
    ]
    assert text == "abcdef gh"


def test_invalid_links_are_dropped_silently() -> None:
    assert html('<a href="javascript:alert(1)">x</a>') == ("x", [])


def test_commands_mentions_hashtags_and_urls_are_detected() -> None:
    text, entities = format_text(
        "/start@tinbao_bot gửi #canh_bao tới @congan xem https://congan.gov.vn."
    )
    assert spans(text, entities) == [
        ("bot_command", "/start@tinbao_bot"),
        ("hashtag", "#canh_bao"),
        ("mention", "@congan"),
        ("url", "https://congan.gov.vn"),
    ]


def test_nothing_is_detected_inside_code() -> None:
    assert html("<code>/start https://x.vn</code>")[1] == [
        {"type": "code", "offset": 0, "length": 19}
    ]


def test_explicit_entities_are_validated() -> None:
    entities = [{"type": "bold", "offset": 0, "length": 2}]
    assert format_text("Mã tin", entities=entities) == ("Mã tin", entities)
    with pytest.raises(FormatError, match="ends after the end of the text"):
        format_text("Mã", entities=[{"type": "bold", "offset": 0, "length": 5}])
    with pytest.raises(FormatError, match="Unsupported type"):
        format_text("Mã", entities=[{"type": "blink", "offset": 0, "length": 1}])


def test_to_html_renders_entities_back() -> None:
    source = (
        '👮 <b>Mã <i>tin</i></b> &lt;3 <a href="https://x.vn/">link</a> '
        '<pre><code class="language-py">x</code></pre>'
    )
    text, entities = html(source)
    assert to_html(text, entities) == source
