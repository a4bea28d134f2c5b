"""Issue T §13: memory on a legal photo.

Seen: a 156 KB 12000×4166 PNG took about 715 MB while imported. It is now decoded
reduced (JPEG draft, else ``reduce``) to at most 3,000 pixels on its long side.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from PIL import Image

from app.quotes.photos import STORED_SIDE, store_photo

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import io, resource, sys, tempfile
from pathlib import Path
from PIL import Image
buf = io.BytesIO()
Image.new("P", (12000, 4166), 3).save(buf, "PNG")
data = buf.getvalue()
from app.quotes.photos import store_photo
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with tempfile.TemporaryDirectory() as d:
    stored = store_photo(Path(d), data, "plan.png")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(data), stored.width, stored.height, (after - before) // 1024)
"""


def test_a_legal_12000_pixel_png_is_stored_reduced_within_little_memory() -> None:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    size, width, height, added_mb = (int(x) for x in done.stdout.split())
    assert size < 200_000
    assert (width, height) == (3000, 1042)
    assert added_mb < 300, f"{added_mb} MB"  # was about 715 MB


def test_a_large_jpeg_is_decoded_reduced_and_keeps_its_orientation(tmp_path: Path) -> None:
    buf = io.BytesIO()
    image = Image.new("RGB", (8000, 2000), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    image.save(buf, "JPEG", exif=exif.tobytes())
    stored = store_photo(tmp_path, buf.getvalue(), "chantier.jpg")
    assert max(stored.width, stored.height) <= STORED_SIDE
    assert stored.height > stored.width  # upright
    with Image.open(tmp_path / stored.storage_name) as kept:
        assert kept.getpixel((10, 10))[2] > 150
