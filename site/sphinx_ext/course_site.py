"""Small Sphinx fixes for the course site (loaded via `sphinx: local_extensions`
in _config.yml).

- Jupyter Book 1 sets up sphinx-thebe and sphinx-togglebutton twice, so every page
  declared `const THEBE_JS_URL` twice: a JavaScript error on every page. We drop exact
  duplicates from the page's script list.
- pydata-sphinx-theme logs "Got invalid theme mode" on a reader's first visit unless a
  default mode is set; we set it (the reader can still switch).
- The footer names the version of `lectures_lib` and the commit the site was built from
  (lectures_lib.course.release.version_line: the version has one source, `__version__`).
- The launch buttons (Binder, Colab) open the chapters' reader editions, which live on
  the branch `course_launch_branch` (`editions`, published by pages.yml;
  lectures_lib/course/reader.py), while the "view source", "edit" and "open issue" links
  stay on `repository.branch` (main). The theme reads the branch for those links once,
  when the builder starts, and for the launch buttons on every page; so once it has read
  it, we switch the option the launch buttons read.
- `404.html`, which GitHub Pages serves for any missing address, at any depth: so it is
  one self-contained page (no stylesheet, script or image to resolve relative to an
  unknown depth) whose links are absolute, built from `html.baseurl`.
- `static/course_widgets.js` (served from `_static/`, before MathJax and the widget
  renderer): gives MathJax 3 the MathJax 2 call the widget renderer makes when it
  typesets a widget's label (without it every labelled widget threw a JavaScript error),
  and names each slider handle after its label, with its shown value as aria-valuetext
  (the renderer leaves the handle nameless, a serious accessibility violation).
- Accessibility (axe-core, run on every page by tests/site_check.py, finds no serious or
  critical violation): `templates/` overrides the theme's search and colour-mode
  buttons, whose accessible names left out their visible text; in each page's body,
  myst-nb's "show code" toggles lose an aria-label that hid their visible text, and the
  bibliography's entries get the role "listitem" that their role="list" parent requires
  (docutils writes the deprecated "doc-biblioentry").
"""

from __future__ import annotations

import html
from pathlib import Path

from lectures_lib.course.release import version_line

NOT_FOUND = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page not found - {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;
       padding: 0 1rem; color: #1a1a1a; line-height: 1.5; }}
a {{ color: #0b57b0; }}
footer {{ margin-top: 3rem; color: #555; font-size: 0.9rem; }}
</style>
</head>
<body>
<main>
<h1>Page not found</h1>
<p>There is no page at this address in <em>{title}</em>. It may have moved when the
chapters were renumbered.</p>
<p><a href="{home}">Go to the course's first page</a>, or
<a href="{home}search.html">search the course</a>.</p>
</main>
<footer>{version}</footer>
</body>
</html>
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (
            getattr(script, "filename", None) or "",
            repr(sorted(attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _default_mode(app, config):
    # the theme's layout reads `default_mode` from the template context
    config.html_context = {**(config.html_context or {}), "default_mode": "light"}


def _version_footer(app, config):
    line = html.escape(version_line(Path(app.srcdir)))
    options = dict(config.html_theme_options or {})
    extra = options.get("extra_footer") or ""
    options["extra_footer"] = f'{extra}<p class="course-version">{line}</p>'
    config.html_theme_options = options


def _launch_branch(app):
    branch = app.config.course_launch_branch
    if branch:
        app.config.html_theme_options = {
            **(app.config.html_theme_options or {}),
            "repository_branch": branch,
        }


def _write_not_found(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    home = app.config.html_baseurl or "/"
    title = app.config.html_title or app.config.project
    page = NOT_FOUND.format(
        title=html.escape(title),
        home=html.escape(home, quote=True),
        version=html.escape(version_line(Path(app.srcdir))),
    )
    (Path(app.outdir) / "404.html").write_text(page)


STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"
# (what the page's body says, what it should say): each an axe-core finding
BODY_FIXES = (
    # the name hid the toggle's visible text ("Show code cell source")
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    # a role="list" must contain list items; docutils marks each entry doc-biblioentry
    ('role="doc-biblioentry"', 'role="listitem"'),
)


def _static_files(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    config.templates_path = [str(TEMPLATES), *config.templates_path]


def _accessible_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for before, after in BODY_FIXES:
            body = body.replace(before, after)
        context["body"] = body


def setup(app):
    app.connect("config-inited", _static_files)
    # before MathJax (priority 500 by default) so that its Hub shim is in place
    # when it loads
    app.add_js_file("course_widgets.js", priority=200)
    # code at 88 columns fits the code column at a 1280-pixel window (static/course.css)
    app.add_css_file("course.css")
    app.connect("html-page-context", _accessible_body)
    app.connect("config-inited", _default_mode)
    app.connect("config-inited", _version_footer)
    app.add_config_value("course_launch_branch", "", "html", types=[str])
    # after the theme's own builder-inited handler (default priority 500) has read the
    # source branch for the "view source" and "edit" links
    app.connect("builder-inited", _launch_branch, priority=900)
    app.connect("build-finished", _write_not_found)
    # last: other extensions add scripts during html-page-context too
    app.connect("html-page-context", _dedupe_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
