"""User text cut for one line or for the start of a block: bounded, marked, and
still shown as typed."""

from slaboard.textfmt import HEADLINE_CHARS, excerpt, headline


def test_a_headline_is_one_bounded_line() -> None:
    assert headline("Mail is down") == "Mail is down"
    assert headline(None) == "" and headline("") == ""
    long = "x" * 1_000_000
    cut = headline(long)
    assert len(cut) == HEADLINE_CHARS and cut.endswith("…")
    assert headline("a\nb\x1b[31m" + "y" * 50, 8) == "a b␛[31…"  # still plain text, on one line
    assert headline("abcdef", 6) == "abcdef"


def test_an_excerpt_keeps_the_start_and_counts_what_it_left_out() -> None:
    assert excerpt("two\nlines") == ("two\nlines", 0)
    assert excerpt(None) == ("", 0)
    text = "line\n" * 100_000
    shown, left_out = excerpt(text, chars=2000, lines=24)
    assert shown.count("\n") == 23 and shown.startswith("line\nline")
    assert len(shown) + left_out == len(text)
    shown, left_out = excerpt("z" * 1_000_000, chars=2000, lines=24)
    assert shown == "z" * 2000 and left_out == 998_000
    assert excerpt("a\x00b") == ("a␀b", 0)
