"""collectstatic as `make run` runs it at every start: the compressed copies an earlier start left
are kept when they hold their file's bytes, made again when they do not; ReDoc is not collected."""

import gzip
from pathlib import Path

import brotli
import pytest
from django.apps import apps
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

from headend.core.static_files import KeptCompressor

SCRIPT = "".join(f"function step{n}() {{ return {n} * {n}; }}\n" for n in range(2000)).encode()


@pytest.fixture
def collecting(tmp_path, settings, monkeypatch) -> tuple[Path, list[int]]:
    """collectstatic with the production storage, from one folder holding a script and a style,
    into an empty STATIC_ROOT; what it compresses is counted."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "app.js").write_bytes(SCRIPT)
    (source / "app.css").write_bytes(b"body { margin: 0; }\n" * 200)
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "headend.core.static_files.Storage"}}
    compressed: list[int] = []
    brotli_compress = KeptCompressor.compress_brotli

    def counted(data: bytes) -> bytes:
        compressed.append(len(data))
        return brotli_compress(data)

    monkeypatch.setattr(KeptCompressor, "compress_brotli", staticmethod(counted))
    return settings.STATIC_ROOT, compressed


def collect() -> None:
    call_command("collectstatic", interactive=False, verbosity=0)


def files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_a_second_start_keeps_the_copies_the_first_made(collecting):
    root, compressed = collecting
    collect()
    first = files(root)
    (script,) = [name for name in first if name.startswith("app.") and name.endswith(".js")]
    assert brotli.decompress(first[script + ".br"]) == SCRIPT
    assert gzip.decompress(first[script + ".gz"]) == SCRIPT
    made = len(compressed)
    assert made == 2  # the script and the style

    collect()

    assert len(compressed) == made  # nothing compressed again
    assert files(root) == first


def test_a_copy_cut_short_or_of_other_bytes_is_made_again(collecting):
    root, compressed = collecting
    collect()
    first = files(root)
    (script,) = [name for name in first if name.startswith("app.") and name.endswith(".js")]
    (style,) = [name for name in first if name.startswith("app.") and name.endswith(".css")]
    (root / (script + ".br")).write_bytes(first[script + ".br"][:100])  # a start stopped mid-write
    (root / (style + ".gz")).write_bytes(gzip.compress(b"body { margin: 1em; }"))
    made = len(compressed)

    collect()

    assert len(compressed) == made + 2
    assert files(root) == first
    assert not [name for name in files(root) if name.endswith(".partial")]


def test_redoc_is_not_collected_and_swagger_ui_is():
    ignored = apps.get_app_config("staticfiles").ignore_patterns
    listed = {path for finder in get_finders() for path, _ in finder.list(ignored)}
    assert "ninja/swagger-ui-bundle.js" in listed
    assert not [path for path in listed if "redoc" in path]
