"""Config files: defaults, every documented option, and one-line errors for bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.config import Config, load_config, parse_formats, with_overrides
from auditor.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def test_defaults():
    config = load_config(None)
    assert config == Config()
    assert config.thresholds.eni_utilization == 0.8
    assert config.output.formats == ("html", "json", "csv")


def test_example_documents_every_option_with_its_default():
    text = EXAMPLE.read_text()
    example = tomllib.loads(text)
    defaults = Config()
    for section in ("scan", "thresholds", "output"):
        fields = getattr(defaults, section).__dataclass_fields__
        for name in fields:  # optional keys without a default value are shown commented out
            assert name in example[section] or f"# {name} = " in text, f"{section}.{name}"
        assert set(example[section]) <= set(fields), section
    loaded = load_config(EXAMPLE)
    assert loaded.thresholds == defaults.thresholds
    assert loaded.scan.retry_mode == defaults.scan.retry_mode


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[scan\n", "not valid TOML"),
        ("[scan]\nregion = ['us-east-1']\n", "unknown key 'region'"),
        ("[nope]\n", "unknown key 'nope'"),
        ("[thresholds]\neni_utilization = 'high'\n", "expected a number"),
        ("[thresholds]\neni_utilization = 1.5\n", "fraction"),
        ("[thresholds]\nwide_port_min_ports = 0\n", "between 1 and 65536"),
        ("[thresholds]\nsubnet_free_high = 0.5\nsubnet_free_medium = 0.2\n", "must not exceed"),
        ("[scan]\nregions = ['mars-north-1x']\n", "unknown region"),
        ("[scan]\nretry_mode = 'legacy'\n", "retry_mode"),
        ("[output]\nformats = ['pdf']\n", "unknown format"),
        ("[output]\nfail_on = 'urgent'\n", "unknown severity"),
        ("[scan]\nclusters = 'prod'\n", "expected a list"),
    ],
)
def test_bad_config_is_a_one_line_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_config(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.toml")


def test_overrides_win_and_are_validated():
    config = with_overrides(Config(), regions=("eu-west-1",), out="x", formats=("json",), fail_on="high")
    assert config.scan.regions == ("eu-west-1",)
    assert config.output.formats == ("json",)
    with pytest.raises(ConfigError):
        with_overrides(Config(), fail_on="urgent")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("html", ("html",)), ("json,csv", ("json", "csv")), (" CSV , json,csv", ("csv", "json"))],
)
def test_parse_formats(value, expected):
    assert parse_formats(value) == expected


@pytest.mark.parametrize("value", ["", "xml", "html,,pdf"])
def test_parse_formats_rejects(value):
    with pytest.raises(ConfigError):
        parse_formats(value)


toml_keys = st.sampled_from(
    [
        "scan",
        "thresholds",
        "output",
        "regions",
        "clusters",
        "retry_mode",
        "max_attempts",
        "eni_utilization",
        "wide_port_min_ports",
        "formats",
        "fail_on",
        "out",
        "x",
    ]
)
toml_values = st.recursive(
    st.booleans()
    | st.integers(-10, 70000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(toml_keys, inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(toml_keys, toml_values, max_size=4))
def test_fuzzed_configs_load_or_raise_config_error(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("fuzz") / "c.toml"
    path.write_bytes(tomli_w.dumps(document).encode())
    try:
        load_config(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200))
def test_fuzzed_bytes_load_or_raise_config_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzzb") / "c.toml"
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError:
        pass
