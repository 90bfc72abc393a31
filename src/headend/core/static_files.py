"""Static files as `collectstatic` gathers them for whitenoise to serve."""

import gzip
import os
import zlib
from typing import Any

import brotli
from django.contrib.staticfiles.apps import StaticFilesConfig
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

SUFFIXES = {".br": brotli.decompress, ".gz": gzip.decompress}


class StaticFiles(StaticFilesConfig):
    """Django's static files, less what no page uses: django-ninja ships ReDoc beside Swagger UI,
    and our API docs are Swagger UI's. `collectstatic` would copy ReDoc's 4 MB and compress its
    bundle at every start (about 4 s of CPU of each `make run`'s start-up)."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc.standalone.js*"]


class Storage(CompressedManifestStaticFilesStorage):
    """Whitenoise's storage (hashed names, Brotli and gzip copies), compressing only the files
    whose copies an earlier start did not leave: `make run` runs `collectstatic` at every start,
    and compressing every file again took ~10 s of CPU (Swagger UI's bundle alone 5)."""

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return KeptCompressor(**kwargs)


class KeptCompressor(Compressor):
    """A file is compressed unless both its copies are there and hold its bytes (a hashed name
    names its content, but a start cut short may have left a copy half-written: each copy is
    checked, in ~30 ms for all of them). Copies are written whole or not at all."""

    def compress(self, path: str) -> list[str]:
        with open(path, "rb") as source:
            data = source.read()
        kept = [path + suffix for suffix, decompress in SUFFIXES.items() if _holds(path + suffix, data, decompress)]
        if len(kept) == len(SUFFIXES):
            return kept
        return super().compress(path)

    def write_data(self, path: str, data: bytes, suffix: str, stat_result: os.stat_result) -> str:
        filename = path + suffix
        partial = f"{filename}.{os.getpid()}.partial"
        with open(partial, "wb") as copy:
            copy.write(data)
        os.utime(partial, (stat_result.st_atime, stat_result.st_mtime))
        os.replace(partial, filename)
        return filename


def _holds(filename: str, data: bytes, decompress: Any) -> bool:
    try:
        with open(filename, "rb") as copy:
            return decompress(copy.read()) == data
    except (OSError, brotli.error, zlib.error, EOFError, ValueError):  # BadGzipFile is an OSError
        return False
