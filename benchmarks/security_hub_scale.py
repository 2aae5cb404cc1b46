"""ASFF/OCSF rendering and the Security Hub import at scale: 10,000 findings in two regions.

Renders `findings.asff.json` and `findings.ocsf.json` from the synthetic result of
report_scale.py, then imports the ASFF findings into moto's in-process Security Hub with the real
pacing (10 calls a second per account and region). Run:

    python benchmarks/security_hub_scale.py [--findings 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_scale import synthetic  # noqa: E402

from auditor.report import render_all  # noqa: E402
from auditor.report.asff import asff_findings  # noqa: E402
from auditor.report.json import findings_document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=10_000)
    args = parser.parse_args()
    result = synthetic(args.findings, 10)
    figures: dict[str, float | int] = {"findings": args.findings}
    for name, file in (("asff", "findings.asff.json"), ("ocsf", "findings.ocsf.json")):
        start = time.perf_counter()
        text = render_all(result, (name,))[file]
        figures[f"{name}_render_s"] = time.perf_counter() - start
        figures[f"{name}_size_mb"] = len(text.encode()) / 1e6

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    import boto3
    from moto import mock_aws

    from auditor.outputs.securityhub import import_findings

    findings = asff_findings(findings_document(result))
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        start = time.perf_counter()
        report = import_findings(findings, lambda account: session)
        figures["import_s"] = time.perf_counter() - start
    figures["import_calls"] = report.calls
    figures["imported"] = report.imported
    for key, value in figures.items():
        print(f"{key:>16}: {value:.2f}" if isinstance(value, float) else f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
