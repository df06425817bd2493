"""`lendlab` command line: argument handling, verdict lines and exit codes (no kernels here;
tests/notebooks/test_pipeline_smoke.py runs the real thing)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lendlab import cli
from lendlab.course import doctor, runner
from lendlab.course.runner import NotebookRun, resolve_weeks


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["data"],
        ["data", "--out", "a", "--check", "b"],
        ["labs"],
        ["labs", "run", "--timeout", "-1"],
        ["labs", "run", "--seed", "x"],
        ["nonsense"],
    ],
)
def test_bad_arguments_exit_2_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "usage: lendlab" in capsys.readouterr().err


# ---------------------------------------------------------------- data


def test_data_out_prints_sha256_of_each_file(tmp_path, monkeypatch, capsys):
    import lendlab.world.reference_data as datasets

    def fake_build(out_dir):
        path = Path(out_dir) / "applications.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a,b\n1,2\n")
        return [path]

    monkeypatch.setattr(datasets, "build", fake_build)
    code, out, _ = run_cli(capsys, "data", "--out", str(tmp_path))
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert code == 0 and out == f"{digest}  {tmp_path / 'applications.csv'}\n"


@pytest.mark.parametrize(("problems", "expected_code"), [([], 0), (["x differs"], 1)])
def test_data_check_exit_code_follows_verify(problems, expected_code, monkeypatch, capsys):
    import lendlab.world.reference_data as datasets

    monkeypatch.setattr(datasets, "verify", lambda d: problems)
    code, out, _ = run_cli(capsys, "data", "--check", "datasets")
    assert code == expected_code
    assert ("DIFFERS: x differs" in out) == bool(problems)


# ---------------------------------------------------------------- labs build


def write_solution(folder: Path, name: str = "week01_demo.ipynb", **meta) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(
        kernelspec={"name": "lendlab", "display_name": "Python (lendlab)", "language": "python"},
        language_info={"name": "python"},
        **meta,
    )
    nb.cells = [
        nbformat.v4.new_code_cell("seed = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from lendlab.course.exercises import ____"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def test_labs_build_and_check(tmp_path, capsys):
    sol, labs = tmp_path / "solutions", tmp_path / "labs"
    write_solution(sol)
    code, out, err = run_cli(
        capsys, "labs", "build", "--solutions", str(sol), "--labs", str(labs), "--check"
    )
    assert code == 1 and "STALE:" in out and "lendlab labs build" in err
    code, out, _ = run_cli(capsys, "labs", "build", "--solutions", str(sol), "--labs", str(labs))
    assert code == 0 and out == f"wrote {labs / 'week01_demo.ipynb'}\n"
    code, out, _ = run_cli(
        capsys, "labs", "build", "--solutions", str(sol), "--labs", str(labs), "--check"
    )
    assert code == 0 and "up to date" in out


def test_labs_build_reports_invalid_solution_without_traceback(tmp_path, capsys):
    sol = tmp_path / "solutions"
    path = write_solution(sol)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "### BEGIN SOLUTION\nx = 1"
    nbformat.write(nb, path)
    code, _, err = run_cli(
        capsys, "labs", "build", "--solutions", str(sol), "--labs", str(tmp_path / "l")
    )
    assert code == 1 and "week01_demo.ipynb cell 2" in err and "no matching" in err


# ---------------------------------------------------------------- labs run


@pytest.fixture
def fake_runs(tmp_path, monkeypatch):
    """Replace papermill with canned results keyed by notebook stem."""
    results: dict[str, tuple[list, str | None]] = {}
    calls: list[dict] = []

    def fake_run(path, *, out_path, parameters, strict, kernel_name, timeout):
        calls.append(
            {"path": Path(path), "parameters": parameters, "strict": strict, "timeout": timeout}
        )
        checks, error = results[Path(path).stem]
        return NotebookRun(Path(path), Path(out_path), 1.25, checks, error)

    monkeypatch.setattr(runner, "run_notebook", fake_run)
    for folder in ("labs", "solutions"):
        (tmp_path / folder).mkdir()
        for name in ("week01_metrics", "week02_drift"):
            (tmp_path / folder / f"{name}.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    return results, calls


def test_labs_run_prints_a_verdict_per_notebook(fake_runs, capsys):
    results, calls = fake_runs
    results["week01_metrics"] = ([("Q1", "not_attempted"), ("Q2", "not_attempted")], None)
    results["week02_drift"] = ([], "NameError in cell [4]: name 'x' is not defined")
    code, out, _ = run_cli(capsys, "labs", "run")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "PASS week01_metrics (1.2 s, 2 checks: 2 not attempted)"
    assert lines[1].startswith("FAIL week02_drift (1.2 s, 0 checks): NameError in cell [4]")
    assert lines[-1] == "1 passed, 1 failed"
    assert [c["strict"] for c in calls] == [False, False]


def test_labs_run_solutions_with_seed_strict_and_week_selection(fake_runs, capsys):
    results, calls = fake_runs
    results["week02_drift"] = ([("Q1", "correct"), ("Q2", "incorrect")], None)
    code, out, _ = run_cli(
        capsys, "labs", "run", "2", "--solutions", "--seed", "7", "--strict", "--timeout", "30"
    )
    assert code == 1 and "every check in a solution must be Correct" in out
    assert calls == [
        {
            "path": Path("solutions/week02_drift.ipynb"),
            "parameters": {"seed": 7},
            "strict": True,
            "timeout": 30.0,
        }
    ]


def test_labs_run_without_checks_fails(fake_runs, capsys):
    results, _ = fake_runs
    results["week01_metrics"] = ([], None)
    code, out, _ = run_cli(capsys, "labs", "run", "week01")
    assert code == 1 and "no checks printed" in out


def test_labs_run_unknown_week(fake_runs, capsys):
    code, _, err = run_cli(capsys, "labs", "run", "7")
    assert code == 1 and "available: week01_metrics, week02_drift" in err


@pytest.mark.parametrize(
    "week", ["1", "01", "week01", "WEEK1", "week01_metrics", "week01_metrics.ipynb"]
)
def test_resolve_weeks_accepts_every_spelling(tmp_path, week):
    for name in ("week01_metrics", "week10_incident", "week11_extra"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    assert [p.stem for p in resolve_weeks([week], tmp_path)] == ["week01_metrics"]


def test_resolve_weeks_all_and_missing_dir(tmp_path):
    assert resolve_weeks([], tmp_path) == []
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        resolve_weeks([], tmp_path / "nope")


# ---------------------------------------------------------------- unusable paths (real command)

LENDLAB = Path(sys.executable).with_name("lendlab")  # the console script of this environment


def run_real(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the installed ``lendlab`` script, as a user would, and capture what it prints."""
    assert LENDLAB.exists(), f"{LENDLAB} missing: install lendlab into this environment"
    return subprocess.run(
        [str(LENDLAB), *argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "plain.txt"
    path.write_text("not a folder\n")
    return path


@pytest.mark.parametrize(
    ("argv", "names", "fix"),
    [
        (["data", "--out", "{file}/x"], "--out {file}/x", "pass --out a folder"),
        (["data", "--out", "{file}"], "--out {file}", "pass --out a folder"),
        (["data", "--check", "{file}"], "--check {file}", "pass --check a folder"),
        (["labs", "build", "--labs", "{file}/x"], "--labs {file}/x", "pass --labs a folder"),
        (["labs", "build", "--solutions", "{file}"], "--solutions {file}", "pass --solutions"),
        (["labs", "build", "--check", "--solutions", "nope"], "--solutions nope", "existing"),
        (["labs", "run", "1", "--out", "{file}/x"], "--out {file}/x", "pass --out a folder"),
        (["labs", "run", "1", "--dir", "{file}"], "--dir {file}", "pass --dir a folder"),
        (["labs", "run", "1", "--dir", "nope"], "--dir nope", "pass --dir an existing folder"),
    ],
)
def test_unusable_paths_give_one_line_and_exit_1(argv, names, fix, a_file, tmp_path):
    (tmp_path / "labs").mkdir()
    write_solution(tmp_path / "solutions")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "labs" / "week01_demo.ipynb")
    proc = run_real(*(a.format(file=a_file) for a in argv), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lendlab: error: "), proc.stderr
    assert names.format(file=a_file) in lines[0] and fix in lines[0]


def test_unreadable_solution_notebook_names_the_file(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "week01_demo.ipynb").write_text("this is not JSON")
    proc = run_real("labs", "build", "--labs", str(tmp_path / "labs"), cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("lendlab: error: ") and proc.stderr.count("\n") == 1
    assert "solutions/week01_demo.ipynb: not a notebook (not JSON)" in proc.stderr


def test_an_oserror_mid_command_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    import lendlab.world.reference_data as datasets

    def full_disk(out_dir):
        raise OSError(28, "No space left on device", str(Path(out_dir) / "applications.csv"))

    monkeypatch.setattr(datasets, "build", full_disk)
    code, _, err = run_cli(capsys, "data", "--out", str(tmp_path))
    assert code == 1
    assert err == (
        f"lendlab: error: {tmp_path / 'applications.csv'}: No space left on device; check that "
        "the path exists and that you can read (inputs) or write (outputs) it\n"
    )


def test_usable_output_folder_is_created(tmp_path, monkeypatch, capsys):
    import lendlab.world.reference_data as datasets

    monkeypatch.setattr(datasets, "build", lambda out_dir: [])
    code, _, err = run_cli(capsys, "data", "--out", str(tmp_path / "new" / "deeper"))
    assert code == 0 and err == "" and (tmp_path / "new" / "deeper").is_dir()


# ---------------------------------------------------------------- doctor


def test_doctor_exit_code_and_fix(monkeypatch, capsys):
    bad = doctor.Report(
        python="/x/python", facts=["CLI Python: /x/python"], problems=["kernel gone. " + doctor.FIX]
    )
    monkeypatch.setattr(doctor, "diagnose", lambda name="lendlab": bad)
    code, out, _ = run_cli(capsys, "doctor")
    assert code == 1 and "PROBLEM: kernel gone" in out and "./bootstrap" in out


def test_doctor_flags_a_kernel_that_runs_another_python(tmp_path, monkeypatch):
    other = tmp_path / "other-python"
    other.write_text("#!/bin/sh\nexit 1\n")
    other.chmod(0o755)
    monkeypatch.setattr(doctor, "kernel_python", lambda name: (tmp_path, other))
    monkeypatch.setattr(doctor, "_user_kernels", lambda: [])
    report = doctor.diagnose()
    assert not report.ok
    assert any("not the Python running lendlab" in p for p in report.problems)


def test_doctor_warns_about_a_user_level_python3_kernel(tmp_path, monkeypatch):
    spec = tmp_path / "python3" / "kernel.json"
    spec.parent.mkdir()
    spec.write_text('{"argv": ["/opt/old-course/bin/python", "-m", "ipykernel_launcher"]}')
    monkeypatch.setattr(doctor, "_user_kernels", lambda: [("python3", spec)])
    monkeypatch.setattr(
        doctor, "kernel_python", lambda name: (_ for _ in ()).throw(LookupError("no kernel"))
    )
    report = doctor.diagnose()
    assert any("user-level kernelspec 'python3'" in w for w in report.warnings)
    assert report.problems == [f"no kernel. {doctor.FIX}"]
