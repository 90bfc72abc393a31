import io
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from headend.core import user_files
from headend.core.errors import ValidationError
from headend.core.user_files import ATTACHMENT, SITE_IMPORT

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PAGE = b"<!doctype html><script>fetch('/settings/api-tokens/')</script>"


def upload(name: str, data: bytes, content_type: str = "text/plain") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (b"-18 dBm at the ONT\n", "text/plain"),
    ],
)
def test_check_upload_decides_the_type_from_the_bytes_not_the_browser(data, content_type):
    checked = user_files.check_upload(
        upload("f", data, content_type="application/x-made-up"), kind=ATTACHMENT, field="f"
    )

    assert checked.content_type == content_type


@pytest.mark.parametrize(
    ("name", "data", "claimed"),
    [
        ("x.html", PAGE, "text/plain"),  # the reproduction
        ("photo.png", b"<html><body><img src=x onerror=alert(1)></body></html>", "image/png"),
        ("notes.txt", b"Light level ok.\n\n<script>alert(1)</script>\n", "text/plain"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
        ("drawing.txt", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "text/plain"),
        ("run.sh", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "application/x-sh"),
        ("archive.txt", b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 64, "text/plain"),
    ],
)
def test_check_upload_refuses_pages_svg_and_binaries_of_other_types(name, data, claimed):
    with pytest.raises(ValidationError) as error:
        user_files.check_upload(upload(name, data, claimed), kind=ATTACHMENT, field="attachments")

    assert (error.value.field, error.value.code) == ("attachments", "file_type")
    assert "attach a photo (JPEG, PNG, GIF, WebP), a PDF or a text file" in error.value.message


def test_a_tag_split_across_two_chunks_is_found(monkeypatch):
    monkeypatch.setattr(user_files, "CHUNK", 64)
    data = b"a" * 60 + b"<script>alert(1)</script>"

    assert user_files.content_type_of(io.BytesIO(data), kind=ATTACHMENT) is None


def test_text_that_only_mentions_angle_brackets_is_text():
    data = b"signal < base level; 3 > 2; <b> is bold; if a<b and c>d\n"

    assert user_files.content_type_of(io.BytesIO(data), kind=ATTACHMENT, name="n.txt") == "text/plain"


def test_a_csv_name_picks_text_csv_among_the_text_types():
    assert user_files.content_type_of(io.BytesIO(b"a,b\n1,2\n"), kind=ATTACHMENT, name="speeds.CSV") == "text/csv"


def test_a_site_import_is_csv_text_only():
    assert user_files.content_type_of(io.BytesIO(b"site_name,address\n"), kind=SITE_IMPORT) == "text/csv"
    assert user_files.content_type_of(io.BytesIO(PNG), kind=SITE_IMPORT) is None


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_the_size_limit_is_per_kind_and_from_settings(settings, extra, refused):
    settings.HEADEND_UPLOAD_MAX_BYTES = {"attachment": 1000}
    file = upload("log.txt", b"x" * (1000 + extra))

    if refused:
        with pytest.raises(ValidationError) as error:
            user_files.check_upload(file, kind=ATTACHMENT, field="attachments")
        assert error.value.code == "too_large"
    else:
        assert user_files.check_upload(file, kind=ATTACHMENT, field="attachments").size == 1000


def test_the_default_attachment_limit_is_10_mb(settings):
    settings.HEADEND_UPLOAD_MAX_BYTES = {}  # no limit set for attachments: their own

    assert ATTACHMENT.max_bytes == 10 * 1024 * 1024


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        user_files.check_upload(upload("empty.txt", b""), kind=ATTACHMENT, field="attachments")

    assert error.value.code == "empty"


@pytest.mark.parametrize(
    ("name", "content_type", "cleaned"),
    [
        ("speedtest.png", "image/png", "speedtest.png"),
        ("x.html", "text/plain", "x.html.txt"),
        ("photo", "image/jpeg", "photo.jpg"),
        ("IMG_0001.JPEG", "image/jpeg", "IMG_0001.JPEG"),
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("C:\\Users\\tech\\ont.pdf", "application/pdf", "ont.pdf"),
        ("evil\u202egnp.exe", "image/png", "evilgnp.exe.png"),
        ("line\r\nbreak.txt", "text/plain", "linebreak.txt"),
        ("", "text/plain", "file.txt"),
        ("old.html", user_files.UNKNOWN, "old.html.bin"),
    ],
)
def test_clean_name(name, content_type, cleaned):
    assert user_files.clean_name(name, content_type=content_type, kind=ATTACHMENT) == cleaned


def test_clean_name_keeps_200_characters_and_the_extension():
    cleaned = user_files.clean_name("a" * 300 + ".png", content_type="image/png", kind=ATTACHMENT)

    assert (len(cleaned), cleaned[-6:]) == (200, "aa.png")


def test_random_name_keeps_nothing_of_the_name_but_a_plain_extension():
    name = user_files.RandomName("task-attachments")

    first, second = name(None, "Quarterly report.PNG"), name(None, "x.ht ml")

    assert first.startswith("task-attachments/2026/03/")
    assert first.endswith(".png")
    assert "Quarterly" not in first
    assert first != name(None, "Quarterly report.PNG")
    assert len(second.rsplit("/", 1)[1]) == 32


def test_the_download_is_an_attachment_of_the_sniffed_type_never_run():
    response = user_files.download_response(PAGE, filename="x.html", kind=ATTACHMENT)

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PAGE


def test_the_download_names_the_file_in_ascii_and_in_utf8():
    header = user_files.content_disposition('Relevé "n°3"; ok.pdf')

    ascii_name = header.split('filename="', 1)[1].split('"', 1)[0]
    assert ascii_name == "Relev_ _n_3__ ok.pdf"
    assert unquote(header.split("filename*=UTF-8''", 1)[1]) == 'Relevé "n°3"; ok.pdf'
