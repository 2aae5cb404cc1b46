"""Trends and forecasts over earlier runs (pandas).

One long table, one row per run × account × region × metric × resource (`long_table`), then one
row of statistics per series (`series_table`). A capacity figure (free addresses in a subnet, ENI
headroom of a cluster or instance, ENIs left under the regional quota) that falls run after run
gets `runs_out_at`: the date the fitted line reaches zero at the current rate.

The forecast (`forecast`):
- **window**: the series' last `WINDOW_RUNS` (14) runs, and of those only the ones after the last
  *reset* — a rise well beyond the night-to-night wobble above each of the three runs before it (a
  cleanup, a bigger subnet), so a figure that was freed up is not forecast from the slope before
  the cleanup, while one bad night followed by the usual level is not a reset;
- **fit**: Theil–Sen (the median of the slopes between every pair of runs; one bad night does not
  tilt it), on time in days, so missed nights do not distort the rate;
- **falling** needs at least `MIN_RUNS` (3) runs in the window, a negative slope, most pairs of runs
  agreeing on the direction (Kendall's tau ≤ −0.3) and a fall of at least one unit over the window;
  a flat or rising series has no forecast. The fit's quality is its R² on the window (`fit_r2`);
- `runs_out_at` = the last run's date + (the fitted level at the last run ÷ the fall per day);
  a series already at or below zero has `runs_out_at` = the first run of that stretch;
- a series that the latest run of its account and region no longer has is `gone` (deleted subnet,
  terminated instance) and has no forecast; a new one starts a series of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from auditor.history.runs import CAPACITY_METRICS, History

WINDOW_RUNS = 14
MIN_RUNS = 3
MIN_TAU = 0.3  # |Kendall's tau| a trend needs: most pairs of runs agree on the direction
MAX_DAYS = 3650  # a forecast further out than ten years is no forecast
ROW_COLUMNS = ["generated_at", "account", "region", "metric", "resource_id", "value", "runs_out_at"]
SERIES_COLUMNS = [
    "account",
    "region",
    "metric",
    "resource_id",
    "runs",
    "last_value",
    "slope_per_day",
    "runs_out_at",
    # extensions (docs/OUTPUT.md, "trend.json")
    "days_left",
    "status",
    "trend",
    "fit_runs",
    "fit_from",
    "fit_r2",
    "first_seen",
    "last_seen",
    "min_value",
    "max_value",
]
KEYS = ["account", "region", "metric", "resource_id"]


@dataclass(frozen=True)
class Forecast:
    """The fit over a series' recent window."""

    trend: str  # falling | flat | rising | unknown (too few runs)
    slope_per_day: float | None
    fit_runs: int  # runs in the window the fit used
    fit_from: int  # index (in the series) of the window's first run
    fit_r2: float | None
    level: float | None  # the fitted value at the last run


def theil_sen(days: np.ndarray, values: np.ndarray) -> tuple[float, float, float]:
    """(slope, intercept, Kendall's tau) of a robust line through the points."""
    i, j = np.triu_indices(len(days), k=1)
    dt = days[j] - days[i]
    dv = values[j] - values[i]
    ok = dt > 0
    slopes = dv[ok] / dt[ok]
    if slopes.size == 0:
        return 0.0, float(np.median(values)), 0.0
    slope = float(np.median(slopes))
    intercept = float(np.median(values - slope * days))
    tau = float((np.sign(dv[ok]).sum()) / ok.sum())
    return slope, intercept, tau


def last_reset(values: np.ndarray) -> int:
    """Index of the first point after the last reset, else 0. A reset is a rise above *each* of the
    three values before it by more than the night-to-night wobble (6 × the median absolute deviation
    of the steps, at least 1 and 5 % of the largest value), so a cleanup counts and one bad night
    followed by the usual level does not."""
    if len(values) < 3:
        return 0
    steps = np.diff(values)
    noise = float(np.median(np.abs(steps - np.median(steps))))  # how much a night's step wobbles
    threshold = max(1.0, 6 * noise, 0.05 * float(np.max(np.abs(values))))
    for i in range(len(values) - 1, 0, -1):
        if values[i] - float(np.max(values[max(0, i - 3) : i])) > threshold:
            return i
    return 0


def forecast(days: np.ndarray, values: np.ndarray) -> Forecast:
    """Fit the recent window of one series (time in days, oldest first)."""
    start = max(0, len(values) - WINDOW_RUNS)
    start += last_reset(values[start:])
    d, v = days[start:], values[start:]
    if len(v) < MIN_RUNS:
        return Forecast("unknown", None, len(v), start, None, None)
    slope, intercept, tau = theil_sen(d, v)
    fitted = intercept + slope * d
    total = float(np.sum((v - v.mean()) ** 2))
    r2 = 1.0 - float(np.sum((v - fitted) ** 2)) / total if total > 0 else (1.0 if slope == 0 else 0.0)
    change = slope * float(d[-1] - d[0])
    if slope < 0 and tau <= -MIN_TAU and change <= -1.0:
        trend = "falling"
    elif slope > 0 and tau >= MIN_TAU and change >= 1.0:
        trend = "rising"
    else:
        trend = "flat"
    return Forecast(trend, slope, len(v), start, round(max(r2, 0.0), 3), float(fitted[-1]))


def long_table(history: History) -> pd.DataFrame:
    """One row per run × account × region × metric × resource, oldest run first."""
    records = [
        (run.generated_at, run.when, p.account, p.region, p.metric, p.resource_id, p.value)
        for run in history.runs
        for p in run.points
    ]
    table = pd.DataFrame.from_records(
        records, columns=["generated_at", "when", "account", "region", "metric", "resource_id", "value"]
    )
    table["when"] = pd.to_datetime(table["when"], utc=True)
    table["value"] = table["value"].astype(float)
    # Two runs of one account at the same moment (a copy, an org report beside the account's own):
    # one point per series and moment.
    table = table.drop_duplicates(subset=["when", *KEYS], keep="first")
    return table.sort_values(["when", *KEYS], kind="stable").reset_index(drop=True)


Latest = dict[tuple[str, str], tuple[datetime, bool | None]]


def _latest_runs(history: History) -> Latest:
    """Per (account, region) the time of the latest run that covered it, and whether it was
    complete; (account, "") for runs that do not name their regions."""
    latest: Latest = {}
    for run in history.runs:  # oldest first: the last one wins
        for account in run.accounts:
            for region in run.regions or ("",):
                latest[(account, region)] = (run.when, run.complete)
    return latest


def _series_row(
    key: tuple[str, str, str, str],
    when: pd.Series,
    values: np.ndarray,
    latest: Latest,
) -> dict[str, object]:
    account, region, metric, resource_id = key
    times = when.to_numpy()
    first, last = pd.Timestamp(times[0]), pd.Timestamp(times[-1])
    days = (when - first).dt.total_seconds().to_numpy() / 86400.0
    fit = forecast(days, values)
    capacity = metric in CAPACITY_METRICS
    last_value = float(values[-1])
    status, runs_out_at, days_left = "ok", None, None
    latest_when, latest_complete = latest.get(
        (account, region), latest.get((account, ""), (last.to_pydatetime(), True))
    )
    if last.to_pydatetime() < latest_when:
        status = "gone" if latest_complete is not False else "not-in-latest"
    elif capacity and last_value <= 0:
        status = "out"
        stretch = len(values) - int(np.argmax(values[::-1] > 0)) if np.any(values > 0) else 0
        runs_out_at = pd.Timestamp(times[stretch]).date().isoformat()
        days_left = 0.0
    elif capacity and fit.trend == "falling" and fit.slope_per_day:
        level = fit.level if fit.level is not None and fit.level > 0 else last_value
        days_left = level / -fit.slope_per_day
        if days_left <= MAX_DAYS:
            status = "running-out"
            runs_out_at = (last + timedelta(days=days_left)).date().isoformat()
            days_left = round(days_left, 1)
        else:
            days_left = None
    elif fit.trend == "unknown":
        status = "too-few-runs"
    return {
        "account": account,
        "region": region,
        "metric": metric,
        "resource_id": resource_id,
        "runs": len(values),
        "last_value": _plain(last_value),
        "slope_per_day": None if fit.slope_per_day is None else round(fit.slope_per_day, 4),
        "runs_out_at": runs_out_at,
        "days_left": days_left,
        "status": status,
        "trend": fit.trend,
        "fit_runs": fit.fit_runs,
        "fit_from": pd.Timestamp(times[fit.fit_from]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fit_r2": fit.fit_r2,
        "first_seen": first.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_seen": last.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "min_value": _plain(float(values.min())),
        "max_value": _plain(float(values.max())),
    }


def _plain(value: float) -> float | int:
    """Counts stay integers in JSON and CSV."""
    return int(value) if math.isfinite(value) and value.is_integer() else value


def series_table(table: pd.DataFrame, history: History) -> pd.DataFrame:
    """One row per series: statistics, the fit and `runs_out_at`. Sorted: soonest to run out first."""
    latest = _latest_runs(history)
    rows = [
        _series_row(key, group["when"], group["value"].to_numpy(), latest)  # type: ignore[arg-type]
        for key, group in table.groupby(KEYS, observed=True, sort=True)
    ]
    series = pd.DataFrame(rows, columns=SERIES_COLUMNS).astype({"runs_out_at": object, "days_left": object})
    if series.empty:
        return series
    for column in ("runs_out_at", "days_left", "slope_per_day", "fit_r2"):
        series[column] = series[column].astype(object).where(series[column].notna(), None)
    order = series["runs_out_at"].fillna("9999-12-31")
    return series.assign(_order=order).sort_values(["_order", *KEYS], kind="stable").drop(columns="_order")


@dataclass(frozen=True)
class Trend:
    """A history analysed: the long table, the series, and where they came from."""

    history: History
    table: pd.DataFrame
    series: pd.DataFrame

    def rows(self) -> pd.DataFrame:
        """The contract's rows: the long table with each series' `runs_out_at`."""
        runs_out = self.series[[*KEYS, "runs_out_at"]]
        rows = self.table.merge(runs_out, on=KEYS, how="left")
        return rows[ROW_COLUMNS]

    def forecast_for(
        self, account: str, region: str, metric: str, resource_id: str
    ) -> dict[str, object] | None:
        """The series row of one resource's metric, when it has a `runs_out_at`."""
        s = self.series
        hit = s[
            (s["account"] == account)
            & (s["region"] == region)
            & (s["metric"] == metric)
            & (s["resource_id"] == resource_id)
        ]
        if hit.empty or hit.iloc[0]["runs_out_at"] is None:
            return None
        return {k: _native(v) for k, v in hit.iloc[0].to_dict().items()}


def _native(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def analyse_history(history: History) -> Trend:
    """The long table and the per-series statistics of a history."""
    table = long_table(history)
    return Trend(history=history, table=table, series=series_table(table, history))
