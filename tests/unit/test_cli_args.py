"""Command-line argument parsing that needs no services."""

from __future__ import annotations

import pytest

from kgservice.cli import build_parser


def test_distill_layers_are_parsed_sorted_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    assert parser.parse_args(["models", "distill", "--layers", "5,0,0"]).layers == (0, 5)
    assert parser.parse_args(["models", "distill"]).layers is None
    for bad, message in (("a,b", "comma-separated"), ("0,9", "layers 0-5")):
        with pytest.raises(SystemExit):
            parser.parse_args(["models", "distill", "--layers", bad])
        assert message in capsys.readouterr().err


def test_cli_plain_table_for_pipes_keeps_columns_whole() -> None:
    from kgservice.cli.output import plain_table

    text = plain_table(["skill", "score"], [["Swift (computer programming)", "0.98"], ["SQL", "1.00"]], title="2 skills")
    assert text.splitlines() == ["2 skills", "skill                         score",
                                 "Swift (computer programming)  0.98", "SQL                           1.00"]
    assert plain_table(["text"], [["x" * 60]], widest=10).splitlines()[1] == "xxxxxxxxx…"
