"""README.md's examples stay true: the Python example runs (fewer epochs) and every command
line of its CLI block parses."""
import re
import shlex
from pathlib import Path

from graphssl.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _block_after(heading: str, lang: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_ten_lines_of_python_run_on_cora(data_root, capsys):
    code = _block_after("## Ten lines of Python", "python")
    assert 'root="../shared/data"' in code and "epochs=1500" in code
    code = code.replace('root="../shared/data"', f"root={str(data_root)!r}").replace("epochs=1500", "epochs=3")
    exec(compile(code, "README.md", "exec"), {})
    assert re.search(r"test accuracy 0\.\d+ at the best validation epoch \d+", capsys.readouterr().out)


def test_command_line_block_parses():
    lines = [ln.split("#", 1)[0].strip() for ln in _block_after("## Command line", "").splitlines()]
    parser = build_parser()
    checked = 0
    for line in filter(None, lines):
        argv = shlex.split(re.sub(r"\[([^\]]*)\]", r"\1", line))[1:]  # optional parts included
        if argv == ["--version"]:
            continue
        args = parser.parse_args(["3" if a == "N" else a for a in argv])  # N: a count placeholder
        assert callable(args.func)
        checked += 1
    assert checked >= 4
