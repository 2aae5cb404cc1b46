"""Forecasts on synthetic series with known answers: each run is a findings.json written to disk,
read back through the local folder source, so the whole reading and fitting path is exercised."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.history.runs import read_history
from auditor.history.trend import MIN_RUNS, WINDOW_RUNS, analyse_history, forecast, last_reset, theil_sen
from auditor.outputs.local import LocalFolder
from tests.history.runs_factory import ACCOUNT, REGION, START, run_doc, write_run, write_series


def series_of(root: Path, subnet: str = "subnet-a", metric: str = "subnet_available") -> dict:
    trend = analyse_history(read_history(LocalFolder(root), str(root)))
    s = trend.series
    hit = s[(s["metric"] == metric) & (s["resource_id"] == subnet)]
    assert len(hit) == 1
    return hit.iloc[0].to_dict()


def day(n: float) -> str:
    return (START + timedelta(days=n)).date().isoformat()


def test_linear_fall_runs_out_on_the_known_date(tmp_path):
    write_series(tmp_path, [200 - 5 * d for d in range(20)])
    s = series_of(tmp_path)
    # last run day 19 at 105 free, 5 a day: zero 21 days later
    assert s["slope_per_day"] == -5.0
    assert s["runs_out_at"] == day(19 + 21)
    assert s["days_left"] == 21.0
    assert s["status"] == "running-out" and s["trend"] == "falling"
    assert s["fit_r2"] == 1.0 and s["fit_runs"] == WINDOW_RUNS
    # projected free is 10 lower: two days sooner
    assert series_of(tmp_path, metric="subnet_projected_free")["runs_out_at"] == day(19 + 19)


def test_noisy_fall_lands_near_the_true_date(tmp_path):
    rng = random.Random(3)
    write_series(tmp_path, [round(240 - 4 * d + rng.gauss(0, 3)) for d in range(30)])
    s = series_of(tmp_path)
    true_out = (START + timedelta(days=60)).date()  # 240 - 4d = 0
    assert abs((date.fromisoformat(s["runs_out_at"]) - true_out).days) <= 4
    assert -4.8 < s["slope_per_day"] < -3.2
    assert 0.8 < s["fit_r2"] < 1.0


@pytest.mark.parametrize(
    "values",
    [
        [120] * 20,  # flat
        [120 + (d % 3) - 1 for d in range(20)],  # flat with a little noise
        [100 + 3 * d for d in range(20)],  # rising
    ],
    ids=["flat", "flat-noisy", "rising"],
)
def test_flat_or_rising_has_no_forecast(tmp_path, values):
    write_series(tmp_path, values)
    s = series_of(tmp_path)
    assert s["runs_out_at"] is None and s["days_left"] is None
    assert s["status"] == "ok"
    assert s["trend"] == ("rising" if values[-1] > values[0] + 5 else "flat")


def test_reset_after_cleanup_fits_only_what_came_after(tmp_path):
    before = [100 - 8 * d for d in range(10)]  # 100 .. 28, fast
    after = [220 - 3 * d for d in range(10)]  # cleanup: back to 220, slower
    write_series(tmp_path, before + after)
    s = series_of(tmp_path)
    assert s["fit_runs"] == 10 and s["fit_from"] == f"{day(10)}T02:00:00Z"
    assert s["slope_per_day"] == -3.0
    # last run day 19 at 193: 193 / 3 = 64.3 days on
    assert s["runs_out_at"] == (START + timedelta(days=19 + 193 / 3)).date().isoformat()


def test_resource_that_disappears_is_gone_without_a_forecast(tmp_path):
    for d in range(12):
        subnets = {"subnet-a": 100.0}
        if d < 8:
            subnets["subnet-old"] = 60 - 7 * d  # falling fast, then deleted
        write_run(tmp_path, f"run-{d:02d}", run_doc(d, subnets=subnets))
    gone = series_of(tmp_path, "subnet-old")
    assert gone["status"] == "gone" and gone["runs_out_at"] is None and gone["runs"] == 8
    assert series_of(tmp_path, "subnet-a")["status"] == "ok"


def test_new_resource_starts_its_own_series(tmp_path):
    for d in range(15):
        subnets = {"subnet-a": 100.0}
        if d >= 10:
            subnets["subnet-new"] = 50 - 5 * (d - 10)
        write_run(tmp_path, f"run-{d:02d}", run_doc(d, subnets=subnets))
    new = series_of(tmp_path, "subnet-new")
    assert new["runs"] == 5 and new["first_seen"] == f"{day(10)}T02:00:00Z"
    assert new["runs_out_at"] == day(14 + 6)  # 30 left, 5 a day


def test_too_few_runs_and_already_out(tmp_path):
    write_series(tmp_path, [40, 30])
    s = series_of(tmp_path)
    assert s["status"] == "too-few-runs" and s["runs_out_at"] is None and MIN_RUNS == 3


def test_a_figure_at_zero_says_since_when(tmp_path):
    write_series(tmp_path, [20, 10, 0, 0, -1])
    s = series_of(tmp_path)
    assert s["status"] == "out" and s["runs_out_at"] == day(2) and s["days_left"] == 0.0


def test_missed_nights_do_not_distort_the_rate(tmp_path):
    for d in (0, 1, 2, 6, 7, 8, 9):  # three nights missed
        write_run(tmp_path, f"run-{d:02d}", run_doc(d, subnets={"subnet-a": 90 - 2 * d}))
    history = read_history(LocalFolder(tmp_path), str(tmp_path))
    assert any("no run between" in p for p in history.problems)
    s = series_of(tmp_path)
    assert s["slope_per_day"] == -2.0 and s["runs_out_at"] == day(9 + 36)


def test_theil_sen_ignores_one_bad_night():
    days = np.arange(10.0)
    values = 100 - 2 * days
    values[4] = 0  # one absurd reading
    slope, intercept, tau = theil_sen(days, values)
    assert slope == -2.0 and intercept == 100.0 and tau < -0.5
    assert last_reset(values) == 0  # back to the usual level after a bad night: not a cleanup
    fit = forecast(days, values)
    assert fit.trend == "falling" and fit.fit_runs == 10 and fit.slope_per_day == -2.0


def test_reset_is_a_rise_above_the_runs_before_it():
    assert last_reset(np.array([100.0, 92, 84, 76, 200, 192, 184])) == 4
    assert last_reset(np.array([100.0, 92, 84, 76, 80, 72, 64])) == 0  # within the usual step
    assert last_reset(np.array([50.0, 40, 30, 20, 10, 45, 35, 25])) == 5  # cleanup, below the start


def test_cluster_and_quota_series(tmp_path):
    for d in range(10):
        write_run(
            tmp_path,
            f"run-{d:02d}",
            run_doc(d, instances={"i-1": 10 - d, "i-2": 4}, enis=(4000 + 50 * d, 5000)),
        )
    trend = analyse_history(read_history(LocalFolder(tmp_path), str(tmp_path)))
    s = trend.series.set_index(["metric", "resource_id"])
    assert s.loc[("cluster_min_eni_headroom", "prod"), "last_value"] == 1  # i-1 at 1
    assert s.loc[("cluster_free_eni_slots", "prod"), "last_value"] == 5
    assert s.loc[("instance_eni_headroom", "i-1"), "runs_out_at"] == day(10)
    quota = s.loc[("eni_quota_free", REGION)]
    assert quota["last_value"] == 550 and quota["runs_out_at"] == day(9 + 11)
    assert s.loc[("enis_in_use", REGION), "trend"] == "rising"
    assert s.loc[("eni_quota_free", REGION), "account"] == ACCOUNT


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(min_value=20, max_value=5000),
    fall=st.floats(min_value=0.5, max_value=40, allow_nan=False),
    runs=st.integers(min_value=MIN_RUNS, max_value=40),
)
def test_any_straight_fall_is_fitted_exactly(start, fall, runs):
    days = np.arange(float(runs))
    values = start - fall * days
    fit = forecast(days, values)
    if fall * min(runs - 1, WINDOW_RUNS - 1) < 1.0:
        assert fit.trend == "flat"  # less than one unit over the window: no forecast
        return
    assert fit.trend == "falling"
    assert fit.slope_per_day == pytest.approx(-fall)
    assert fit.level == pytest.approx(values[-1])
    assert fit.fit_runs == min(runs, WINDOW_RUNS) and fit.fit_r2 == pytest.approx(1.0)
