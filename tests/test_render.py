"""The one Jinja environment: autoescape on, overrides first."""

from calendar_app.formats import render


def test_autoescape_is_on_for_every_template(tmp_path):
    (tmp_path / "probe.html").write_text("{{ text }}", encoding="utf-8")
    html = render.render("probe.html", override=tmp_path, text="<script>alert(1)</script>")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_an_override_folder_replaces_templates_of_the_same_name(tmp_path):
    (tmp_path / "base.html").write_text("mine {{ plan_name }}", encoding="utf-8")
    assert render.render("base.html", override=tmp_path, plan_name="计划") == "mine 计划"
    assert "<!doctype html>" in render.render("base.html", plan_name="计划")
