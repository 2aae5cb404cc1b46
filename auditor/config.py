"""The audit's configuration: a TOML file (see config.example.toml), then command-line overrides.

Unknown sections or keys, wrong types and out-of-range values are a ConfigError with one line
naming the key: a typo must never silently fall back to a default.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor import limits
from auditor.errors import ConfigError
from auditor.findings import SEVERITIES
from auditor.typed import decode

FORMATS = ("html", "json", "csv", "md", "emf", "asff", "ocsf")
DEFAULT_FORMATS = ("html", "json", "csv")
RETRY_MODES = ("standard", "adaptive")
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+")  # whole string only: fullmatch
DEFAULT_TIMEOUT = 900  # seconds: a Lambda's limit
MAX_TIMEOUT = 7 * 24 * 3600


@dataclass(frozen=True)
class ScanSettings:
    """Where and how to collect."""

    regions: tuple[str, ...] = ()  # empty: the session's default region
    clusters: tuple[str, ...] = ()  # empty: every cluster
    profile: str | None = None
    endpoint_url: str | None = None
    retry_mode: str = "adaptive"
    max_attempts: int = 10
    # Many accounts (CONTRACT.md "Many accounts"): which accounts, and how to reach them
    org: bool = False  # every ACTIVE account of the organisation (organizations:ListAccounts)
    accounts: tuple[str, ...] = ()  # these accounts instead (the caller's own: its own credentials)
    exclude_accounts: tuple[str, ...] = ()
    role_name: str = "ecs-net-audit"  # assumed in every other account
    external_id: str | None = None  # passed to that role when given
    role_chain: tuple[str, ...] = ()  # role ARNs assumed first, in order (a hub role)
    max_parallel: int = 4  # accounts collected at once
    timeout: float = DEFAULT_TIMEOUT  # seconds for the whole scan; what has not answered is an error row


@dataclass(frozen=True)
class Thresholds:
    """Where a finding starts. Fractions are 0..1."""

    eni_utilization: float = 0.80  # eni-headroom medium, eni-trunking "close to the ENI limit"
    subnet_free_high: float = 0.10  # subnet-ip-exhaustion: free below this share of usable → high
    subnet_free_medium: float = 0.25  # … below this → medium
    wide_port_min_ports: int = 1024  # wide-port-range: a rule opening at least this many ports
    eni_quota_medium: float = 0.80  # eni-quota: ENIs in the region / quota at or above this → medium
    eni_quota_high: float = 0.95  # … → high


@dataclass(frozen=True)
class OutputSettings:
    out: str | None = None  # default: a new folder under ./reports/
    formats: tuple[str, ...] = DEFAULT_FORMATS
    fail_on: str | None = None  # a severity; exit 1 when a finding is at or above it


@dataclass(frozen=True)
class Config:
    scan: ScanSettings = field(default_factory=ScanSettings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    output: OutputSettings = field(default_factory=OutputSettings)


def validate(config: Config) -> Config:
    """Check values that types alone do not: ranges, names, enumerations."""
    for region in config.scan.regions:
        check_region(region)
    if config.scan.retry_mode not in RETRY_MODES:
        raise ConfigError(
            f"scan.retry_mode must be one of {', '.join(RETRY_MODES)}, got {config.scan.retry_mode!r}"
        )
    if not 1 <= config.scan.max_attempts <= 50:
        raise ConfigError("scan.max_attempts must be between 1 and 50")
    _validate_accounts(config.scan)
    check_timeout(config.scan.timeout)
    if config.scan.endpoint_url is not None:
        check_endpoint_url(config.scan.endpoint_url, "scan.endpoint_url")
    t = config.thresholds
    for name in (
        "eni_utilization",
        "subnet_free_high",
        "subnet_free_medium",
        "eni_quota_medium",
        "eni_quota_high",
    ):
        value = getattr(t, name)
        if not 0 < value <= 1:
            raise ConfigError(f"thresholds.{name} must be a fraction in (0, 1], got {value}")
    if t.subnet_free_high > t.subnet_free_medium:
        raise ConfigError("thresholds.subnet_free_high must not exceed thresholds.subnet_free_medium")
    if t.eni_quota_medium > t.eni_quota_high:
        raise ConfigError("thresholds.eni_quota_medium must not exceed thresholds.eni_quota_high")
    if not 1 <= t.wide_port_min_ports <= 65536:
        raise ConfigError("thresholds.wide_port_min_ports must be between 1 and 65536")
    parse_formats(config.output.formats)
    if config.output.fail_on is not None:
        check_severity(config.output.fail_on)
    return config


def _validate_accounts(scan: ScanSettings) -> None:
    for account in (*scan.accounts, *scan.exclude_accounts):
        check_account(account)
    if not _ROLE_NAME.match(scan.role_name) or "//" in scan.role_name:
        raise ConfigError(f"role name {scan.role_name!r} is not an IAM role name")
    if scan.external_id is not None and not _EXTERNAL_ID.match(scan.external_id):
        raise ConfigError("external id must be 2 to 1224 characters of letters, digits and +=,.@:/-")
    for arn in scan.role_chain:
        if not _ROLE_ARN.match(arn):
            raise ConfigError(f"scan.role_chain: {arn!r} is not an IAM role ARN (arn:aws:iam::ID:role/NAME)")
    if not 1 <= scan.max_parallel <= 64:
        raise ConfigError("max parallel accounts must be between 1 and 64")
    if scan.org and scan.accounts:
        raise ConfigError("--org and --account exclude each other: --org lists the accounts itself")


def check_account(account: str) -> str:
    if not _ACCOUNT.match(account):
        raise ConfigError(f"account id {account!r} is not 12 digits")
    return account


def check_region(region: str) -> str:
    if not _REGION.fullmatch(region):
        raise ConfigError(f"unknown region name {region!r} (expected a name like us-east-1)")
    return region


def check_timeout(seconds: float) -> float:
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT):
        raise ConfigError(f"timeout must be a number of seconds between 0 and {MAX_TIMEOUT}, got {seconds}")
    return seconds


def check_endpoint_url(url: str, where: str = "--endpoint-url") -> str:
    """An http(s) URL with a host, as botocore needs it; ConfigError (exit 2) before any call."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{where} {url[:100]!r} is not an http(s) URL like https://ecs.us-east-1.amazonaws.com"
        )
    return url


def check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise ConfigError(f"unknown severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    return severity


def parse_formats(formats: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A comma list or sequence of output formats, checked; order kept, duplicates dropped."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    names = tuple(dict.fromkeys(item.strip().lower() for item in items if item.strip()))
    if not names:
        raise ConfigError("--format needs at least one of " + ", ".join(FORMATS))
    for name in names:
        if name not in FORMATS:
            raise ConfigError(f"unknown format {name!r}: use a comma list of {', '.join(FORMATS)}")
    return names


def load_config(path: str | Path | None) -> Config:
    """Read and validate a TOML config file; the defaults when `path` is None."""
    if path is None:
        return Config()
    text = limits.read_bounded(path, limits.CONFIG_MAX_BYTES, ConfigError, "config")
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config {path} is nested too deeply") from None
    return validate(decode(Config, data, ConfigError, f"config {Path(path).name}:"))


def with_overrides(config: Config, **overrides: Any) -> Config:
    """Apply command-line values (None means: not given) and validate the result."""
    scan_keys = {f for f in ScanSettings.__dataclass_fields__}
    output_keys = {f for f in OutputSettings.__dataclass_fields__}
    scan = {k: v for k, v in overrides.items() if k in scan_keys and v not in (None, ())}
    if scan.get("profile") == "" or (config.scan.profile == "" and "profile" not in scan):
        scan["profile"] = None  # `profile = ""` or `--profile ""`: the default credential chain
    output = {k: v for k, v in overrides.items() if k in output_keys and v is not None}
    unknown = set(overrides) - scan_keys - output_keys
    if unknown:  # pragma: no cover - a programming error, not user input
        raise TypeError(f"unknown override {sorted(unknown)}")
    return validate(
        replace(config, scan=replace(config.scan, **scan), output=replace(config.output, **output))
    )
