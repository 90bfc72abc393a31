import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "HEADEND_HTTPS": "1",
        "DEBUG": "",
        "HEADEND_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "headend.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_processes_started_together_share_one_whole_secret_key(tmp_path):
    """scripts/run collects static files while it migrates: both generate the key at once."""
    env = {**os.environ, "HEADEND_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    env.pop("SECRET_KEY", None)
    read_key = "import headend.settings as s; print(s.SECRET_KEY)"
    processes = [
        subprocess.Popen([sys.executable, "-c", read_key], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(16)
    ]
    keys = {process.communicate(timeout=120)[0].strip() for process in processes}

    assert all(process.returncode == 0 for process in processes)
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert len(keys.pop()) >= 50
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret_key"]
