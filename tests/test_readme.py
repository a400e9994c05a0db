"""The README's ten-line example: its model and evidence, run, print what the README shows."""

from __future__ import annotations

import os
import re

from click.testing import CliRunner

from argmap.cli import main

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def test_the_ten_line_example_prints_what_the_readme_shows(tmp_path, monkeypatch):
    text = open(README, encoding="utf-8").read()
    for block in re.findall(r"```yaml\n(# (\S+)\n.*?)```", text, flags=re.S):
        body, path = block
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(body, encoding="utf-8")
    shown = re.search(r"    \$ argmap update models/vaccine\.yaml\n((?:    .*\n|\n)+?)\n(?!    )", text)
    assert shown, "the README no longer shows `argmap update models/vaccine.yaml`"
    expected = "\n".join(line[4:] for line in shown.group(1).rstrip("\n").splitlines())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["update", "models/vaccine.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == expected
