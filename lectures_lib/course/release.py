"""Publishing: the version, the site's address, the published wheel, the release files.

The version has one source, ``lectures_lib.__version__``: pyproject.toml reads it,
and the wheel's name, the site footer, the Build information page and every release
file name are derived from it here. The site's public address has one source too,
``html.baseurl`` in ``_config.yml``; the address of the wheel that the site publishes
is derived from it.

    python -m lectures_lib.course.release check VERSION
        = __version__, in the changelog
    python -m lectures_lib.course.release wheel-url
        the published wheel's address
    python -m lectures_lib.course.release wheel-index DIR
        DIR/index.json names DIR's wheel
    python -m lectures_lib.course.release check-baseurl URL
        URL is html.baseurl
    python -m lectures_lib.course.release bundle VERSION OUT
        release files + SHA256SUMS

``make book`` and ``make release`` call these; see the README's "Releases" section.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from .. import __version__
from .._checks import check_argv, check_path

__all__ = [
    "WHEEL_DIR",
    "check_version",
    "wheel_name",
    "release_names",
    "site_baseurl",
    "wheel_url",
    "version_info",
    "version_line",
    "changelog_section",
    "main",
]

ROOT = Path(__file__).resolve().parents[2]  # the repository (lectures_lib/course/..)
# where the built site publishes the wheel (under _build/html/)
WHEEL_DIR = "_static/wheels"
ARCHIVE_PREFIX = "training-deep-networks"
_VERSION = re.compile(r"\d+\.\d+\.\d+")


def check_version(version) -> str:
    """Return ``version`` if it is a release version ``X.Y.Z`` (digits), else raise."""
    if not isinstance(version, str):
        raise TypeError(
            f"version must be a string 'X.Y.Z', got "
            f"{type(version).__name__}: {version!r}"
        )
    if not _VERSION.fullmatch(version):
        raise ValueError(f"version must look like X.Y.Z (e.g. 0.2.0), got {version!r}")
    return version


def wheel_name(version: str = __version__) -> str:
    """File name of the ``lectures_lib`` wheel of ``version`` (pure Python)."""
    return f"lectures_lib-{check_version(version)}-py3-none-any.whl"


def release_names(version: str) -> dict[str, str]:
    """File names of a release's assets, each carrying ``version``."""
    check_version(version)
    return {
        "wheel": wheel_name(version),
        "site": f"{ARCHIVE_PREFIX}-site-{version}.tar.gz",
        "assignments": f"{ARCHIVE_PREFIX}-assignments-{version}.tar.gz",
        "notes": f"RELEASE_NOTES-{version}.md",
    }


def site_baseurl(config: Path = ROOT / "_config.yml") -> str:
    """The site's public address, ``html.baseurl`` in ``_config.yml`` (ends in /)."""
    import yaml  # a build-time need (jupyter-book brings it), not a runtime dependency

    config = check_path(config, "config", kind="file")
    data = yaml.safe_load(config.read_text()) or {}
    url = (data.get("html") or {}).get("baseurl")
    if not isinstance(url, str) or not re.match(r"https?://[^/\s]+/(\S*/)?$", url):
        raise ValueError(
            f"html.baseurl in {config} must be an http(s) address "
            f"ending in '/', e.g. https://USER.github.io/REPO/, "
            f"got {url!r}"
        )
    return url


def wheel_url(version: str = __version__, config: Path = ROOT / "_config.yml") -> str:
    """Address of the wheel that the published site serves (issue 19's set-up cell)."""
    return f"{site_baseurl(config)}{WHEEL_DIR}/{wheel_name(version)}"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    command = ["git", "-C", str(root), *args]
    return subprocess.run(command, capture_output=True, text=True)


def version_info(root: Path = ROOT) -> dict[str, str]:
    """``{"version": ..., "commit": ...}``: the commit is git's short hash of HEAD,
    with ``+changes`` if tracked files differ from it; ``unknown`` outside git."""
    root = check_path(root, "root", kind="dir")
    try:
        head = _git(root, "rev-parse", "--short=12", "HEAD")
        dirty = _git(root, "diff", "--quiet", "HEAD", "--").returncode != 0
    except OSError:
        return {"version": __version__, "commit": "unknown"}
    commit = head.stdout.strip() if head.returncode == 0 else "unknown"
    if commit != "unknown" and dirty:
        commit += "+changes"
    return {"version": __version__, "commit": commit}


def version_line(root: Path = ROOT) -> str:
    """One line for the site footer: ``lectures_lib 0.1.0, commit 198ce6f1a2b3``."""
    info = version_info(root)
    return f"lectures_lib {info['version']}, commit {info['commit']}"


def changelog_section(version: str, changelog: Path = ROOT / "CHANGELOG.md") -> str:
    """The body of ``## [version]`` in a Keep-a-Changelog file; ValueError if none."""
    check_version(version)
    changelog = check_path(changelog, "changelog", kind="file")
    text = changelog.read_text()
    heading = re.compile(rf"^## \[{re.escape(version)}\].*$", re.M)
    found = heading.search(text)
    if not found:
        raise ValueError(
            f"{changelog} has no '## [{version}]' section: add one before "
            f"releasing {version}"
        )
    rest = text[found.end() :]
    following = re.search(r"^## \[", rest, re.M)
    body = rest[: following.start() if following else None]
    links = re.compile(r"^\[[^\]]+\]: \S+$", re.M)  # the link definitions at the end
    return links.sub("", body).strip() + "\n"


def check_release(version: str, changelog: Path = ROOT / "CHANGELOG.md") -> None:
    """A tag ``vX.Y.Z`` must match the code (``version == __version__``), and the
    changelog must say what the release changed."""
    check_version(version)
    if version != __version__:
        raise ValueError(
            f"version {version} differs from lectures_lib.__version__ = "
            f"{__version__}: set __version__ to {version} and add its "
            f"CHANGELOG.md entry in a commit, then tag it v{version}"
        )
    changelog_section(version, changelog)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_wheel_index(wheel_dir: Path, version: str = __version__) -> Path:
    """Write ``wheel_dir/index.json`` naming the current wheel (which must be there)."""
    wheel = Path(wheel_dir) / wheel_name(version)
    if not wheel.is_file():
        raise ValueError(f"wheel_dir {wheel_dir} has no {wheel.name} (run make wheel)")
    index = {"version": version, "wheel": wheel.name, "sha256": _sha256(wheel)}
    out = Path(wheel_dir) / "index.json"
    out.write_text(json.dumps(index, indent=1) + "\n")
    return out


def _archive(source: Path, out: Path, top: str) -> None:
    """A gzipped tar of ``source`` under the folder ``top``, in sorted order."""
    if not source.is_dir():
        raise ValueError(f"source {source} is not a directory (was it built?)")
    with tarfile.open(out, "w:gz") as tar:
        tar.add(source, arcname=top, recursive=False)
        for path in sorted(source.rglob("*")):
            tar.add(
                path,
                arcname=f"{top}/{path.relative_to(source).as_posix()}",
                recursive=False,
            )


def bundle(version: str, out: Path, build: Path = ROOT / "_build") -> list[Path]:
    """Gather a release into ``out``: the wheel, the site and the assignment bundles
    as archives, the release notes, and ``SHA256SUMS``. All must be built already."""
    check_release(version)
    names = release_names(version)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    wheel = build / "wheels" / WHEEL_DIR / names["wheel"]
    if not wheel.is_file():
        raise ValueError(f"no wheel {wheel} (run make wheel)")
    shutil.copy2(wheel, out / names["wheel"])
    for part in ("site", "assignments"):  # the folder inside is named like the archive
        source = build / ("html" if part == "site" else part)
        _archive(source, out / names[part], names[part].removesuffix(".tar.gz"))
    (out / names["notes"]).write_text(changelog_section(version))
    files = [out / names[k] for k in ("wheel", "site", "assignments", "notes")]
    sums = "".join(f"{_sha256(f)}  {f.name}\n" for f in files)
    (out / "SHA256SUMS").write_text(sums)
    return files + [out / "SHA256SUMS"]


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring). ``argv``: its arguments as a list
    of str; None means none, never this process's own ``sys.argv``."""
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.course.release")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check").add_argument("version")
    sub.add_parser("wheel-url")
    sub.add_parser("wheel-index").add_argument("wheel_dir", type=Path)
    sub.add_parser("check-baseurl").add_argument("url")
    bundle_args = sub.add_parser("bundle")
    bundle_args.add_argument("version")
    bundle_args.add_argument("out", type=Path)
    args = parser.parse_args(check_argv(argv))
    try:
        if args.command == "check":
            check_release(args.version)
            print(f"version {args.version} = lectures_lib.__version__, in CHANGELOG.md")
        elif args.command == "wheel-url":
            print(wheel_url())
        elif args.command == "wheel-index":
            print(f"wrote {write_wheel_index(args.wheel_dir)}")
        elif args.command == "check-baseurl":
            ours = site_baseurl()
            if args.url.rstrip("/") + "/" != ours:
                raise ValueError(
                    f"the site is published at {args.url}, but "
                    f"html.baseurl in _config.yml is {ours}: set "
                    f"html.baseurl to the published address (README, "
                    f"'Publish your own copy')"
                )
            print(f"html.baseurl {ours} is where the site is published")
        else:
            for path in bundle(args.version, args.out):
                print(f"{path.stat().st_size:>12,d}  {path}")
    except ValueError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
