"""Fail when the README's two commands would install different runtime dependencies.

`pip install -e .` is what users run, `pip install -e '.[test]'` what the tests run on: if a
test extra pinned a runtime dependency to another version, the tests would check a program
no user has. Both are resolved from scratch (a dry run ignoring what is installed).
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def resolved(target: str, folder: Path) -> dict[str, str]:
    report = folder / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--dry-run", "--ignore-installed", "--report", str(report), "-e", target],
                   check=True, stderr=subprocess.DEVNULL)
    return {i["metadata"]["name"].lower(): i["metadata"]["version"]
            for i in json.loads(report.read_text())["install"]}


with tempfile.TemporaryDirectory() as tmp:
    app, test = resolved(".", Path(tmp)), resolved(".[test]", Path(tmp))
differ = {name: f"{version} -> {test.get(name)}" for name, version in app.items()
          if test.get(name) != version}
if differ:
    sys.exit(f"pip install -e '.[test]' changes runtime dependencies: {differ}")
print(f"the test extra keeps all {len(app)} runtime packages at the versions users get")
