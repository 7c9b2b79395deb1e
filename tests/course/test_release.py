"""Publishing (issue 16): one version, one site address, the release files' names,
the changelog, and the link between the workflows and the Makefile. Offline and fast:
no site build here (``make release`` does that)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tarfile
import tomllib
from pathlib import Path

import pytest
import yaml

import lectures_lib
from lectures_lib.course import buildinfo, release

ROOT = Path(__file__).resolve().parents[2]
VERSION = lectures_lib.__version__
WORKFLOWS = ROOT / ".github" / "workflows"


def test_version_has_one_source_read_by_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "lectures_lib.__version__"
    release.check_version(VERSION)


@pytest.mark.parametrize("good", ["0.1.0", "1.2.0", "10.0.12"])
def test_check_version_accepts_x_y_z(good):
    assert release.check_version(good) == good


@pytest.mark.parametrize("bad", ["v0.2.0", "0.2", "0.2.0rc1", "0.2.0 ", "", "a.b.c"])
def test_check_version_rejects_other_strings_naming_them(bad):
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        release.check_version(bad)


def test_check_version_rejects_non_strings():
    with pytest.raises(TypeError, match="float: 0.2"):
        release.check_version(0.2)


def test_every_release_file_name_carries_the_version():
    names = release.release_names("1.2.3")
    assert names["wheel"] == "lectures_lib-1.2.3-py3-none-any.whl"
    for role, name in names.items():
        assert "1.2.3" in name, role
    assert len(set(names.values())) == len(names)
    assert release.wheel_name() == f"lectures_lib-{VERSION}-py3-none-any.whl"


def test_site_address_and_wheel_url_come_from_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    baseurl = config["html"]["baseurl"]
    assert release.site_baseurl() == baseurl
    assert release.wheel_url() == (
        f"{baseurl}_static/wheels/lectures_lib-{VERSION}-py3-none-any.whl"
    )
    # the repository and the site live side by side, both set when the course is forked
    assert config["repository"]["url"].startswith("https://github.com/")


def test_wheel_url_follows_a_forks_setting(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("html:\n  baseurl: https://someone.github.io/my-course/\n")
    assert release.wheel_url("2.0.1", config) == (
        "https://someone.github.io/my-course/_static/wheels/"
        "lectures_lib-2.0.1-py3-none-any.whl"
    )


@pytest.mark.parametrize(
    "value", ["", "https://x.github.io/course", "/course/", "ftp://x.org/c/", None]
)
def test_site_baseurl_rejects_a_missing_or_malformed_address(tmp_path, value):
    config = tmp_path / "_config.yml"
    config.write_text(yaml.safe_dump({"html": {"baseurl": value}}))
    with pytest.raises(ValueError, match="html.baseurl") as error:
        release.site_baseurl(config)
    assert repr(value) in str(error.value)


def test_changelog_has_unreleased_and_the_current_version_with_chapters_and_exercises():
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", text, re.M)
    assert headings[0][0] == "Unreleased"
    assert (VERSION, headings[1][1]) in headings[1:2]
    for name, rest in headings[1:]:
        release.check_version(name)
        assert re.fullmatch(r" - \d{4}-\d\d-\d\d", rest), f"{name}: ' - YYYY-MM-DD'"
    sections = re.split(r"^## \[", text, flags=re.M)[1:]
    for section in sections:
        name = section.split("]")[0]
        assert re.search(r"^Chapters: \S", section, re.M), f"{name}: chapters"
        assert re.search(r"^Exercises: \S", section, re.M), f"{name}: exercises"


def test_changelog_section_is_the_body_without_link_definitions(tmp_path):
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n"
        "## [1.1.0] - 2026-01-02\n\nChapters: 3.\n\n"
        "## [1.0.0] - 2026-01-01\n\nChapters: all.\n\n"
        "[1.1.0]: https://example.org/v1.1.0\n"
    )
    assert release.changelog_section("1.1.0", changelog) == "Chapters: 3.\n"
    assert release.changelog_section("1.0.0", changelog) == "Chapters: all.\n"
    with pytest.raises(ValueError, match=r"no '## \[2.0.0\]' section"):
        release.changelog_section("2.0.0", changelog)


def test_a_tag_must_match_the_codes_version():
    release.check_release(VERSION)
    major, minor, patch = map(int, VERSION.split("."))
    other = f"{major}.{minor}.{patch + 1}"
    with pytest.raises(
        ValueError,
        match=f"version {other} differs from "
        f"lectures_lib.__version__ = {VERSION}.*"
        f"tag it v{other}",
    ):
        release.check_release(other)


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout.strip()


def test_version_info_names_the_commit_and_local_changes(tmp_path):
    assert release.version_info(tmp_path) == {"version": VERSION, "commit": "unknown"}
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "one")
    head = _git(tmp_path, "rev-parse", "--short=12", "HEAD")
    assert release.version_info(tmp_path)["commit"] == head
    assert release.version_line(tmp_path) == f"lectures_lib {VERSION}, commit {head}"
    (tmp_path / "a.txt").write_text("two\n")
    assert release.version_info(tmp_path)["commit"] == f"{head}+changes"


def test_build_information_page_shows_version_and_commit():
    page = buildinfo.render(ROOT / "book")
    info = release.version_info(ROOT)
    assert f"version **{info['version']}**" in page
    assert f"commit `{info['commit']}`" in page


def _fake_build(build: Path) -> None:
    wheels = build / "wheels" / release.WHEEL_DIR
    wheels.mkdir(parents=True)
    (wheels / release.wheel_name(VERSION)).write_bytes(b"not really a wheel")
    (build / "html" / "book").mkdir(parents=True)
    (build / "html" / "index.html").write_text("<html></html>")
    (build / "html" / "book" / "01.html").write_text("<html>1</html>")
    (build / "assignments" / "ch1" / "student").mkdir(parents=True)
    (build / "assignments" / "ch1" / "student" / "ch1.ipynb").write_text("{}")


def test_bundle_gathers_versioned_files_and_their_checksums(tmp_path):
    _fake_build(tmp_path / "_build")
    out = tmp_path / "release"
    files = release.bundle(VERSION, out, build=tmp_path / "_build")
    names = release.release_names(VERSION)
    assert sorted(p.name for p in files) == sorted([*names.values(), "SHA256SUMS"])
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 4
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    with tarfile.open(out / names["site"]) as tar:
        top = f"training-deep-networks-site-{VERSION}"
        assert f"{top}/book/01.html" in tar.getnames()
    with tarfile.open(out / names["assignments"]) as tar:
        top = f"training-deep-networks-assignments-{VERSION}"
        assert f"{top}/ch1/student/ch1.ipynb" in tar.getnames()
        assert all(n == top or n.startswith(f"{top}/") for n in tar.getnames())
    assert (out / names["notes"]).read_text() == release.changelog_section(VERSION)


def test_bundle_refuses_a_missing_build(tmp_path):
    with pytest.raises(ValueError, match="run make wheel"):
        release.bundle(VERSION, tmp_path / "release", build=tmp_path / "_build")


def test_wheel_index_names_the_wheel_and_its_hash(tmp_path):
    with pytest.raises(ValueError, match="run make wheel"):
        release.write_wheel_index(tmp_path)
    wheel = tmp_path / release.wheel_name(VERSION)
    wheel.write_bytes(b"wheel bytes")
    index = json.loads(release.write_wheel_index(tmp_path).read_text())
    assert index == {
        "version": VERSION,
        "wheel": wheel.name,
        "sha256": hashlib.sha256(b"wheel bytes").hexdigest(),
    }


def test_check_baseurl_command(capsys):
    assert release.main(["check-baseurl", release.site_baseurl().rstrip("/")]) == 0
    assert release.main(["check-baseurl", "https://someone.github.io/fork/"]) == 1
    assert "set html.baseurl" in capsys.readouterr().err


def _run_lines(workflow: str) -> list[str]:
    data = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return [
        step["run"]
        for job in data["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def test_workflows_run_the_makefiles_commands():
    makefile = (ROOT / "Makefile").read_text()
    for target in ["test", "book", "release", "lint"]:
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert re.search(r"^test:.* lint ", makefile, re.M)  # make test includes the checks
    assert "make test" in _run_lines("ci.yml")
    assert "make book" in _run_lines("pages.yml")
    assert 'make release VERSION="${TAG#v}"' in _run_lines("release.yml")


def test_every_action_is_pinned_to_a_full_commit():
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        uses = re.findall(r"uses: (\S+)(.*)$", workflow.read_text(), re.M)
        assert uses, workflow.name
        for action, comment in uses:
            assert re.fullmatch(r"actions/[\w-]+@[0-9a-f]{40}", action), action
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{action}: version"
