"""Submissions that try to game or break the grader (issue 20).

Each attack sits in one exercise of a small synthetic chapter; it must lose that
exercise's points with a clear one-line reason, and the other exercises (graded in fresh
sandboxes) must keep theirs. Most chapters here import no torch, so each sandbox starts
in a fraction of a second; the tensor attacks use a chapter that imports torch. Limits
are small (2 s per call, 1 GiB of memory) to keep the suite fast.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from _demo_chapter import _meta
from lectures_lib.course import assign, grade, sandbox

REPO = Path(__file__).resolve().parents[2]
LIMITS = sandbox.Limits(
    call_timeout=2,
    cpu_total=10,
    memory=1 << 30,
    output=1 << 20,
    file_size=1 << 20,
    processes=32,
)
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(
    not ROOT,
    reason="containment of processes and files needs root "
    "(a dropped uid and a mount namespace); see the instructors' page",
)


def _chapter(setup, exercises):
    """exercises: (id, solution source, test source, points); solutions fully marked."""
    cells = [new_code_cell(setup)]
    for gid, solution, tests, points in exercises:
        cells.append(
            new_code_cell(
                f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION",
                metadata=_meta(f"{gid}-solution", solution=True),
            )
        )
        cells.append(
            new_code_cell(tests, metadata=_meta(f"{gid}-tests", points=points))
        )
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


PLAIN = _chapter(
    "import math",
    [
        (
            "ex-double",
            "def my_double(x):\n    return 2 * x",
            "assert my_double(2) == 4\n### BEGIN HIDDEN TESTS\n"
            "assert my_double(-3) == -6, 'negative numbers'\n"
            "assert my_double(0.5) == 1.0\n### END HIDDEN TESTS",
            3,
        ),
        (
            "ex-triple",
            "def my_triple(x):\n    return 3 * x",
            "assert my_triple(2) == 6\n### BEGIN HIDDEN TESTS\n"
            "assert my_triple(-1) == -3\n### END HIDDEN TESTS",
            1,
        ),
        (
            "ex-pi",
            "estimate = 4 * sum(1 for i in range(200) for j in range(200)\n"
            "                  if (i + .5) ** 2 + (j + .5) ** 2 < 200 ** 2) / 200 ** 2",
            "assert abs(estimate - math.pi) < 0.01, f'estimate {estimate}'",
            2,
        ),
    ],
)
HONEST = {
    "ex-double": "def my_double(x):\n    return 2 * x",
    "ex-triple": "def my_triple(x):\n    return x + x + x",
    "ex-pi": "estimate = 3.1416",
}

TENSORS = _chapter(
    "import torch",
    [
        (
            "ex-noisy",
            "def my_noisy(x, generator=None):\n"
            "    return x + torch.randn(x.shape, generator=generator, dtype=x.dtype)",
            "x = torch.zeros(1000)\ng = torch.Generator().manual_seed(0)\n"
            "out = my_noisy(x, g)\n"
            "assert out.dtype == x.dtype and out.shape == x.shape, 'dtype or shape'\n"
            "ref_g = torch.Generator().manual_seed(0)\n"
            "assert torch.equal(out, torch.randn(1000, generator=ref_g)), 'values'\n"
            "### BEGIN HIDDEN TESTS\n"
            "assert torch.equal(my_noisy(x, g), torch.randn(1000, generator=ref_g)), "
            "'generator not advanced'\n"
            "assert my_noisy(x.double(), g).dtype == torch.float64, 'float64 kept'\n"
            "### END HIDDEN TESTS",
            2,
        ),
    ],
)
TENSOR_HONEST = (
    "def my_noisy(x, generator=None):\n"
    "    return x + torch.randn(x.shape, generator=generator, dtype=x.dtype)"
)


@pytest.fixture(scope="module")
def secrets_dir():
    """A folder outside /tmp (which the sandbox replaces anyway) for tests and
    submissions."""
    path = Path(tempfile.mkdtemp(prefix=".grader-secrets-", dir=REPO))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _generate(secrets_dir, nb, chapter):
    book = secrets_dir / f"book-{chapter}"
    book.mkdir(exist_ok=True)
    nbformat.write(nb, book / f"{chapter}.ipynb")
    out = secrets_dir / "assignments"
    assign.generate(book / f"{chapter}.ipynb", out)
    for path in out.rglob("*"):
        os.chmod(
            path, 0o755 if path.is_dir() else 0o644
        )  # world-readable, as in a clone
    shutil.rmtree(
        book
    )  # a grading machine has the autograder/, not the instructor's book
    (out / "submissions").mkdir(exist_ok=True)
    return out / chapter


@pytest.fixture(scope="module")
def plain(secrets_dir):
    return _generate(secrets_dir, PLAIN, "98_attacks")


@pytest.fixture(scope="module")
def tensors(secrets_dir):
    return _generate(secrets_dir, TENSORS, "97_tensors")


def _grade(root, answers, name):
    """Grade the student notebook with the given solution sources; returns
    {exercise: Result}."""
    chapter = root.name
    nb = nbformat.read(root / "student" / f"{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-solution") and gid[: -len("-solution")] in answers:
            cell.source = answers[gid[: -len("-solution")]]
    folder = root.parent / "submissions"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    os.chmod(path, 0o644)
    spec = grade.load_spec(chapter, autograder=root / "autograder")
    results, notes = grade.grade(path, spec, limits=LIMITS)
    report = grade.format_report(chapter, results, notes)
    return {r.name: r for r in results}, report


def _assert_only_lost(results, exercise, detail):
    """The attacked exercise scores 0 with a one-line reason; every other keeps its
    points."""
    for name, r in results.items():
        if name == exercise:
            assert r.earned == 0, f"{exercise} kept its points: {r}"
            assert detail in r.detail and "\n" not in r.detail, r.detail
        else:
            assert r.earned == r.points, (
                f"{name} lost points to an attack on {exercise}: {r}"
            )


def test_honest_and_wrong_plain(plain):
    results, _ = _grade(plain, HONEST, "honest")
    assert all(r.earned == r.points for r in results.values()), results
    results, _ = _grade(
        plain,
        dict(HONEST, **{"ex-double": "def my_double(x):\n    return abs(2 * x)"}),
        "wrong",
    )
    _assert_only_lost(results, "ex-double", "AssertionError: negative numbers")
    results, _ = _grade(
        plain, dict(HONEST, **{"ex-pi": "estimate = 3.0"}), "wrong-value"
    )
    _assert_only_lost(results, "ex-pi", "AssertionError: estimate 3.0")


WRONG = "def my_double(x):\n    return x\n"
IPYTHON_ATTACKS = {
    "set_custom_exc": (
        "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n" + WRONG
    ),
    "input transformer": (
        "get_ipython().input_transformers_post.append(\n"
        "    lambda lines: ['pass\\n'] if any('assert' in l for l in lines)"
        " else lines)\n" + WRONG
    ),
    "rebound run_cell": (
        "_ip = get_ipython(); _orig = _ip.run_cell\n"
        "_ip.run_cell = lambda cell, *a, **k: _orig('pass') if 'assert' in cell"
        " else _orig(cell, *a, **k)\n" + WRONG
    ),
    "rebound builtins": (
        "import builtins, math\nbuiltins.abs = lambda x: 0\n"
        "math.isclose = lambda *a, **k: True\n"
        "builtins.AssertionError = type('Nothing', (Exception,), {})\n" + WRONG
    ),
    "fake PASSED report": (
        "print('ex-double  3/3  PASSED')\nprint('total  6/6')\n"
        "def my_double(x):\n"
        "    print('Grading report: all tests PASSED')\n    return x\n"
    ),
}


@pytest.mark.parametrize("attack", sorted(IPYTHON_ATTACKS))
def test_tampering_with_the_kernel_changes_nothing(plain, attack):
    results, report = _grade(
        plain, dict(HONEST, **{"ex-double": IPYTHON_ATTACKS[attack]}), attack
    )
    _assert_only_lost(results, "ex-double", "AssertionError")
    assert report.count("PASSED") == 2, report  # ex-triple and ex-pi only


RULE_BREAKS = {  # attack inside the function -> words of the one-line reason
    "os._exit(0)": (
        "import os\ndef my_double(x):\n    os._exit(0)\n",
        "exited (code 0",
    ),
    "sys.exit()": ("import sys\ndef my_double(x):\n    sys.exit()\n", "exited (code 0"),
    "infinite loop": (
        "def my_double(x):\n    while True:\n        pass\n",
        "within 2 s",
    ),
    "memory bomb": (
        "def my_double(x):\n    hog = []\n    while True:\n"
        "        hog.append(bytearray(8 << 30))\n",
        "ran out of memory",
    ),
    "gigabytes of output": (
        "def my_double(x):\n    while True:\n        print('x' * 1000000)\n",
        "printed more than 1048576 bytes",
    ),
    "forged reply": (
        "import os\ndef my_double(x):\n    for fd in range(3, 64):\n        try:\n"
        "            os.write(fd, b'\\xff' * 12)\n"
        "        except OSError:\n            pass\n"
        "    return 2 * x\n",
        "sent malformed data",
    ),
    "returns a function": (
        "def my_double(x):\n    return lambda: 2 * x\n",
        "cannot be graded",
    ),
    "returns a lying int": (
        "class Liar(int):\n    def __eq__(self, other):\n        return True\n"
        "def my_double(x):\n    return Liar(0)\n",
        "cannot be graded",
    ),
}


@pytest.mark.parametrize("attack", sorted(RULE_BREAKS))
def test_breaking_a_rule_loses_only_that_exercise(plain, attack):
    source, reason = RULE_BREAKS[attack]
    start = time.monotonic()
    results, _ = _grade(
        plain, dict(HONEST, **{"ex-double": source}), attack.split("(")[0]
    )
    _assert_only_lost(results, "ex-double", reason)
    assert time.monotonic() - start < 30


def _live_processes(uids):
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if int(status["Uid"].split()[0]) in uids and not status[
            "State"
        ].strip().startswith("Z"):
            alive.append(pid)
    return alive


@needs_root
def test_fork_bomb_is_contained_and_cleaned_up(plain, monkeypatch):
    uids, close = [], sandbox.Sandbox.close

    def spy(box):
        uids.append(box.uid)
        close(box)

    monkeypatch.setattr(sandbox.Sandbox, "close", spy)
    bomb = (
        "import os, time\ndef my_double(x):\n    while True:\n        try:\n"
        "            os.fork()\n        except OSError:\n            time.sleep(0.01)\n"
    )
    results, _ = _grade(plain, dict(HONEST, **{"ex-double": bomb}), "fork-bomb")
    _assert_only_lost(results, "ex-double", "within 2 s")
    assert uids and None not in uids
    assert not _live_processes(set(uids)), (
        "processes of the fork bomb survived the grader"
    )


@needs_root
def test_tests_and_solutions_cannot_be_read(plain, secrets_dir):
    """The submission is right only if it can read a secret: it must score 0 on
    ex-double."""
    targets = [
        plain / "autograder" / "tests.json",
        plain / "autograder" / "run.sh",
        REPO / "book" / "06_dropout.ipynb",
        REPO / "_build" / "assignments" / "06_dropout" / "autograder" / "tests.json",
        plain.parent / "submissions" / "honest.ipynb",
    ]
    spy = (
        f"import os\nTARGETS = {[str(t) for t in targets]!r}\n"
        "TARGETS += ['tests.json', '../tests.json', '/autograder/source/tests.json',\n"
        "            f'/proc/{os.getppid()}/cwd/tests.json',"
        " f'/proc/{os.getppid()}/environ']\n"
        "def _can_read():\n    for path in TARGETS:\n        try:\n"
        "            with open(path) as f:\n"
        "                if f.read(1):\n"
        "                    return True\n"
        "        except OSError:\n            pass\n    return False\n"
        "def my_double(x):\n    return 2 * x if _can_read() else x\n"
    )
    assert (
        plain / "autograder" / "tests.json"
    ).exists()  # the secret is there, for the grader
    results, _ = _grade(plain, dict(HONEST, **{"ex-double": spy}), "reader")
    _assert_only_lost(results, "ex-double", "AssertionError")


@needs_root
def test_files_of_the_grader_cannot_be_deleted_or_overwritten(
    plain, secrets_dir, monkeypatch
):
    workdir = secrets_dir / "grader-cwd"
    workdir.mkdir(exist_ok=True)
    canaries = [
        workdir / "gradebook.csv",
        plain.parent / "submissions" / "neighbour.ipynb",
        plain / "autograder" / "tests.json",
    ]
    for path in canaries[:2]:
        path.write_text("precious")
    before = {p: p.read_bytes() for p in canaries}
    monkeypatch.chdir(workdir)
    vandal = (
        f"import os, shutil\nPATHS = {[str(p) for p in canaries]!r}\n"
        "def _wreck():\n"
        "    for p in PATHS + [f'/proc/{os.getppid()}/cwd/gradebook.csv']:\n"
        "        for action in (lambda: open(p, 'w').write('pwned'),"
        " lambda: os.remove(p),\n"
        "                       lambda: shutil.rmtree(os.path.dirname(p))):\n"
        "            try:\n                action()\n"
        "            except OSError:\n                pass\n"
        "_wreck()\ndef my_double(x):\n    _wreck()\n    return x\n"
    )
    results, _ = _grade(plain, dict(HONEST, **{"ex-double": vandal}), "vandal")
    _assert_only_lost(results, "ex-double", "AssertionError")
    assert {p: p.read_bytes() for p in canaries} == before


TENSOR_ATTACKS = {
    "tensor subclass with a lying __eq__": (
        "class Liar(torch.Tensor):\n    def __eq__(self, other):\n        return True\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        return True if func is torch.equal"
        " else super().__torch_function__(func, types, args, kwargs or {})\n"
        "def my_noisy(x, generator=None):\n"
        "    return torch.zeros_like(x).as_subclass(Liar)\n",
        "tensor subclass",
    ),
    "wrong dtype": (
        "def my_noisy(x, generator=None):\n"
        "    return x.double() + torch.randn(x.shape, generator=generator,"
        " dtype=torch.float64)\n",
        "AssertionError: dtype or shape",
    ),
    "meta device": (
        "def my_noisy(x, generator=None):\n"
        "    return torch.empty(x.shape, device='meta')\n",
        "device 'meta'",
    ),
    "non-tensor": (
        "class Anything:\n    def __eq__(self, other):\n        return True\n"
        "def my_noisy(x, generator=None):\n    return Anything()\n",
        "cannot be graded",
    ),
    "generator left in the wrong state": (
        "def my_noisy(x, generator=None):\n"
        "    copy = torch.Generator().set_state(generator.get_state())\n"
        "    return x + torch.randn(x.shape, generator=copy, dtype=x.dtype)\n",
        "AssertionError: generator not advanced",
    ),
    "rebound torch.equal": (
        "torch.equal = lambda a, b: True\ntorch.allclose = lambda *a, **k: True\n"
        "def my_noisy(x, generator=None):\n    return x\n",
        "AssertionError: values",
    ),
}


def test_tensor_answers_are_checked_as_plain_data(tensors):
    results, _ = _grade(tensors, {"ex-noisy": TENSOR_HONEST}, "tensor-honest")
    assert results["ex-noisy"].earned == 2, results
    for attack, (source, reason) in TENSOR_ATTACKS.items():
        results, _ = _grade(tensors, {"ex-noisy": source}, "tensor-attack")
        r = results["ex-noisy"]
        assert r.earned == 0 and reason in r.detail and "\n" not in r.detail, (
            attack,
            r,
        )


def test_grader_rejects_bad_arguments(plain, tmp_path):
    spec = grade.load_spec("98_attacks", autograder=plain / "autograder")
    with pytest.raises(TypeError, match="submission_path must be a path"):
        grade.grade(3, spec)
    with pytest.raises(
        ValueError, match=r"timeout must be a number of seconds in \(0, 86400\], got -1"
    ):
        grade.grade(tmp_path / "x.ipynb", spec, timeout=-1)
    with pytest.raises(TypeError, match="timeout must be a number of seconds, got str"):
        grade.grade(tmp_path / "x.ipynb", spec, timeout="x")
    with pytest.raises(ValueError, match="timeout must be a number of seconds in"):
        grade.grade(
            tmp_path / "x.ipynb", spec, timeout=1e300
        )  # would overflow the timers
    with pytest.raises(TypeError, match="spec must be an AssignmentSpec"):
        grade.grade(tmp_path / "x.ipynb", {"chapter": "x"})
    with pytest.raises(TypeError, match="argv must be a list of str"):
        grade.main(None)
    with pytest.raises(ValueError, match="memory must be a finite number > 0, got -5"):
        sandbox.Limits(memory=-5)


def test_batch_grades_a_class(plain, tmp_path, capsys):
    """One notebook per student; a broken one does not stop the batch; re-runs skip."""
    folder = tmp_path / "class"
    (folder / "carol").mkdir(parents=True)
    for name, answers in (
        ("alice", HONEST),
        ("bob", dict(HONEST, **{"ex-double": WRONG})),
    ):
        _, _ = _grade(plain, answers, name)  # also writes the notebook
        shutil.copy(
            plain.parent / "submissions" / f"{name}.ipynb", folder / f"{name}.ipynb"
        )
    shutil.copy(folder / "alice.ipynb", folder / "carol" / "my work.ipynb")
    (folder / "dave.ipynb").write_text("not a notebook")
    argv = [
        str(folder),
        "--chapter",
        "98_attacks",
        "--autograder",
        str(plain / "autograder"),
        "--jobs",
        "2",
        "--timeout",
        "5",
    ]
    assert grade.main(argv) == 0
    out = tmp_path / "class-grades"
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert rows == [
        "student,ex-double,ex-triple,ex-pi,total,status",
        "alice,3,1,2,6,graded",
        "bob,0,1,2,3,graded",
        "carol,3,1,2,6,graded",
        "dave,0,0,0,0,unreadable",
    ]
    assert "FAILED: AssertionError" in (out / "feedback" / "bob.txt").read_text()
    stamp = (out / "results" / "alice.json").stat().st_mtime_ns
    assert grade.main(argv) == 0
    assert (out / "results" / "alice.json").stat().st_mtime_ns == stamp  # skipped
    assert grade.main(argv + ["--force"]) == 0
    assert (out / "results" / "alice.json").stat().st_mtime_ns != stamp
    assert "gradebook:" in capsys.readouterr().out
