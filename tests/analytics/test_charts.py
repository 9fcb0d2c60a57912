"""The server-drawn SVG charts: accessible, escaped, readable as text, late bars in red."""

from __future__ import annotations

from xml.etree import ElementTree

from eventguard.analytics.charts import LATE_COLOUR, Bar, Point, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))  # well-formed XML, or this raises


def test_a_bar_chart_is_an_image_with_a_title_and_a_description() -> None:
    svg = _parse(bar_chart(chart_id="c1", title="Response times", desc="MTTA 3 min", bars=[Bar("MTTA", 3.0)]))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").text == "Response times"  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == "MTTA 3 min"  # type: ignore[union-attr]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "MTTA" in texts and "3" in texts  # label and value are text, not pixels


def test_labels_people_wrote_are_escaped() -> None:
    evil = '</text><script>alert(1)</script>&"'
    markup = bar_chart(chart_id='x"y', title=evil, desc=evil, bars=[Bar(evil, 1.0, text=evil)])
    assert "<script>" not in markup
    svg = _parse(markup)
    assert [t.text for t in svg.iter(f"{SVG}text")][1] == evil


def test_a_bar_over_its_target_is_red_and_the_target_is_marked() -> None:
    svg = _parse(
        bar_chart(
            chart_id="c",
            title="t",
            desc="d",
            bars=[Bar("fast", 4.0, target=5.0), Bar("slow", 7.0, target=5.0)],
        )
    )
    fills = [rect.get("fill") for rect in svg.iter(f"{SVG}rect")]
    assert fills[0] != LATE_COLOUR and fills[1] == LATE_COLOUR
    assert len(list(svg.iter(f"{SVG}line"))) == 2


def test_empty_charts_say_so() -> None:
    assert "No data" in bar_chart(chart_id="e", title="t", desc="d", bars=[], empty="No data")
    assert "No data" in line_chart(chart_id="l", title="t", desc="d", points=[], empty="No data")


def test_a_line_chart_puts_each_point_with_its_value_and_the_threshold() -> None:
    points = [Point("05-01", 60), Point("06-01", 85)]
    svg = _parse(
        line_chart(
            chart_id="l",
            title="Scores",
            desc="d",
            points=points,
            maximum=100,
            threshold=80,
            threshold_label="pass",
        )
    )
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"60", "85", "05-01", "06-01", "pass"} <= set(texts)
    circles = list(svg.iter(f"{SVG}circle"))
    assert len(circles) == 2 and float(circles[1].get("cy", 0)) < float(
        circles[0].get("cy", 0)
    )  # 85 is higher
