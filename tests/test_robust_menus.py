"""Menus that say something other than what would run are errors: duplicate keys (with both line numbers),
contradictory windows, impossible bunch counts; a defaulted budget is said out loud (issue 14 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rates_helpers import menu_yaml
from trigger.config import load_yaml
from trigger.errors import ConfigError
from trigger.io import load_schema
from trigger.menu import load_menu
from trigger.menu.load import MAX_BUNCHES

MU = "{collection: muons, min_pt: 3}"


def test_duplicate_seed_names_give_both_lines(tmp_path: Path) -> None:
    path = menu_yaml(tmp_path / "m.yaml", f"  A: {{legs: [{MU}]}}\n  B: {{legs: [{MU}]}}\n  A: {{legs: [{MU}]}}\n")
    # lines: 1 menu_version, 2 name, 3 seeds:, 4 A, 5 B, 6 A
    with pytest.raises(ConfigError, match=r"m.yaml: line 6: duplicate key 'A' \(first given at line 4\)"):
        load_menu(path)


def test_seed_names_that_collide_as_strings(tmp_path: Path) -> None:
    path = menu_yaml(tmp_path / "m.yaml", f"  1: {{legs: [{MU}]}}\n  '1': {{legs: [{MU}]}}\n")
    with pytest.raises(ConfigError, match="a seed name used once"):
        load_menu(path)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb:\n  c: 2\n  c: 3\n",  # nested
        "a: [{x: 1, y: 2, x: 3}]\n",  # inside a list, flow style
        "a: 1\na: 1\n",  # same value is still a mistake
    ],
)
def test_duplicate_keys_anywhere_are_errors(tmp_path: Path, text: str) -> None:
    (tmp_path / "f.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"line \d+: duplicate key .* \(first given at line \d+\)"):
        load_yaml(tmp_path / "f.yaml")


def test_duplicate_keys_in_other_yaml_files_too(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "schema_version: 1\nname: s\ntree: Events\ntree: Other\ncollections:\n  mu: {pt: a, eta: b, phi: c}\n"
    )
    with pytest.raises(ConfigError, match="line 4: duplicate key 'tree' \\(first given at line 3\\)"):
        load_schema(tmp_path / "s.yaml")


def test_merge_keys_may_still_override_and_nothing_is_constructed(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: &b {p: 1, q: 2}\nuse:\n  <<: *b\n  p: 3\n")
    data, _ = load_yaml(tmp_path / "a.yaml")
    assert data["use"] == {"p": 3, "q": 2}
    (tmp_path / "evil.yaml").write_text("a: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_yaml(tmp_path / "evil.yaml")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{{legs: [{MU}, {MU}], cross: {{min_mass: 60, max_mass: 40}}}}", "cross.max_mass: expected a number >= "),
        (f"{{legs: [{MU}, {MU}], cross: {{min_dr: 1.0, max_dr: 0.5}}}}", "cross.max_dr: expected a number >= min_dr"),
        ("{sums: [{sum: HT, min: 300, max: 200}]}", "sums[0].max: expected a number > min (300)"),
        ("{sums: [{sum: HT, min: 300, max: 300}]}", "min <= value < max is empty"),
        ("{legs: [{collection: muons, min_pt: 3, min_abs_eta: 2, max_abs_eta: 1}]}", "max_abs_eta: expected"),
    ],
)
def test_contradictory_windows_are_errors(tmp_path: Path, body: str, message: str) -> None:
    path = menu_yaml(tmp_path / "m.yaml", f"  S: {body}\n")
    with pytest.raises(ConfigError) as info:
        load_menu(path)
    assert message in str(info.value) and "seeds.S" in str(info.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (f"bunches: {{colliding: {MAX_BUNCHES + 1}}}\n", "bunches.colliding: expected an integer in 1..3564"),
        ("bunches: {colliding: 0}\n", "bunches.colliding: expected an integer in 1..3564"),
        ("budget_khz: .inf\n", "budget_khz: expected a finite number"),
        ("budget_khz: 0\n", "budget_khz: expected a number >= 1e-09"),
    ],
)
def test_machine_parameters_must_be_possible(tmp_path: Path, extra: str, message: str) -> None:
    path = menu_yaml(tmp_path / "m.yaml", f"  S: {{legs: [{MU}]}}\n", extra)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_menu(path)


def test_full_ring_and_a_defaulted_budget(tmp_path: Path) -> None:
    menu = load_menu(menu_yaml(tmp_path / "m.yaml", f"  S: {{legs: [{MU}]}}\n", "bunches: {colliding: 3564}\n"))
    assert menu.colliding_bunches == 3564
    assert dict(menu.meta)["defaulted"] == ("budget_khz",)
    assert (
        dict(load_menu(menu_yaml(tmp_path / "n.yaml", f"  S: {{legs: [{MU}]}}\n", "budget_khz: 50\n")).meta)[
            "defaulted"
        ]
        == ()
    )
