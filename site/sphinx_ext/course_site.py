"""Small Sphinx fixes for the course site (loaded via `sphinx: local_extensions` in _config.yml).

- Jupyter Book 1 sets up sphinx-thebe and sphinx-togglebutton twice, so every page declared
  `const THEBE_JS_URL` twice: a JavaScript error on every page. We drop exact duplicates from
  the page's script list.
- pydata-sphinx-theme logs "Got invalid theme mode" on a reader's first visit unless a
  default mode is set; we set it (the reader can still switch).
"""
from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or "", repr(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _default_mode(app, config):
    # the theme's layout reads `default_mode` from the template context
    config.html_context = {**(config.html_context or {}), "default_mode": "light"}


def setup(app):
    app.connect("config-inited", _default_mode)
    # last: other extensions add scripts during html-page-context too
    app.connect("html-page-context", _dedupe_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
