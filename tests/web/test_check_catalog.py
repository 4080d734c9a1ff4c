"""The check_catalog command: the catalog's loader behind a management command."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from core.catalog import load_catalog
from tests.core.test_catalog_validation import Data, break_catalog

REPO = Path(__file__).resolve().parents[2]


def test_check_catalog_prints_the_counts_of_the_real_catalog() -> None:
    out = StringIO()
    call_command("check_catalog", stdout=out)
    catalog = load_catalog()
    printed = out.getvalue()
    assert "Catalog valid" in printed
    assert f"{len(catalog.indications)} indications" in printed
    assert f"{len(catalog.side_effects)} side effects" in printed
    assert f"{len(catalog.sources)} sources" in printed


def test_check_catalog_exits_non_zero_on_a_broken_catalog(tmp_path: Path) -> None:
    def mutate(d: Data) -> None:
        d["swelling"]["lasts_hours"] = [5, 3]

    directory = break_catalog(tmp_path, "side_effects", mutate)
    env = {**os.environ, "MESOCLINIC_TESTING": "1"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check_catalog", "--dir", str(directory)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "side_effects.toml [swelling]" in done.stderr
    assert "Catalog valid" not in done.stdout
