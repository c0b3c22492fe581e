"""The examples of the data-stage code pages (docs/codes/D*.md) run through the real CLI.

Each page holds a ``python title="make-data"`` block that writes the data, a ``yaml`` spec and the
``text`` output. ``SYNTHSPEC_UPDATE_DOCS=1`` rewrites the text blocks from the real output.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.codes import CODES

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p for p in (ROOT / "docs" / "codes").glob("D*.md")
               if 'title="make-data"' in p.read_text("utf-8"))
UPDATE = os.environ.get("SYNTHSPEC_UPDATE_DOCS") == "1"


def _block(text, opener):
    m = re.search(re.escape(opener) + r"\n(.*?)```", text, re.S)
    return m.group(1) if m else None


def _cli(*args, cwd):
    env = dict(os.environ)
    env.pop("SYNTHSPEC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_data_code_example(page, tmp_path):
    code = page.stem
    text = page.read_text("utf-8")
    data_py = _block(text, '```python title="make-data"')
    spec = _block(text, "```yaml")
    (tmp_path / "data").mkdir()
    (tmp_path / "synthspec.yaml").write_text("")
    (tmp_path / "spec.yaml").write_text(spec)
    prelude = "import pandas as pd\n"
    first, _, later = data_py.partition("# compile once")
    subprocess.run([sys.executable, "-c", prelude + first], cwd=tmp_path, check=True)
    if later:
        assert _cli("compile", "spec.yaml", cwd=tmp_path).returncode == 0
        step = "\n".join(ln[2:] for ln in later.splitlines() if ln.startswith("# pd."))
        subprocess.run([sys.executable, "-c", prelude + step], cwd=tmp_path, check=True)
    r = _cli("validate", "spec.yaml", cwd=tmp_path)
    assert f"[{code}]" in r.stderr, r.stderr
    want_rc = 1 if CODES[code].severity == 3 else 0
    assert r.returncode == want_rc, r.stderr
    shown = _block(text, "```text")
    if UPDATE:
        page.write_text(text.replace("```text\n" + (shown or "") + "```", "```text\n" + r.stderr + "```", 1))
        return
    assert shown == r.stderr, f"{page.name}: the shown output drifted (SYNTHSPEC_UPDATE_DOCS=1 to rewrite)"
