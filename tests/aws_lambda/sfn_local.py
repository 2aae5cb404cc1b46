"""A local runner for the organisation state machine in deploy/template.yaml.

moto's Step Functions interpreter rejects `ToleratedFailurePercentage` and cannot read a Map's items
from S3 (MOTO_NOTES.md), so this runs the deployed definition itself — read from the template —
with the semantics Step Functions documents for the subset of ASL it uses:

- Choice (`And`, `Variable` + `IsPresent`), Pass (`InputPath`), Succeed, Fail (`Error`, `CausePath`);
- Task `arn:aws:states:::lambda:invoke` (`Parameters` with `FunctionName` and `Payload.$`,
  `ResultSelector`, `OutputPath`); the invoke result is `{"Payload": …, "StatusCode": 200}`;
- Map in DISTRIBUTED mode: items from the S3 `ItemReader` (a JSON array), `ItemSelector` with
  `$$.Map.Item.Value`, each item a child execution of `ItemProcessor`, at most `MaxConcurrency` at
  once, the run failing with `States.ExceedToleratedFailureThreshold` when the share of failed items
  exceeds `ToleratedFailurePercentage`, and `ResultWriter` writing `manifest.json` plus
  `SUCCEEDED_0.json` / `FAILED_0.json` under its prefix, the Map's output being
  `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"


class StatesError(Exception):
    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags kept as `{"Fn::…": value}`."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def definition(substitutions: dict[str, str]) -> dict[str, Any]:
    """The state machine's definition with its `${…}` placeholders replaced."""
    machine = load_template()["Resources"]["OrgStateMachine"]["Properties"]
    placeholders = set(machine["DefinitionSubstitutions"])
    missing = placeholders - set(substitutions)
    assert not missing, f"substitutions missing for {sorted(missing)}"
    text = json.dumps(machine["Definition"])
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", value)
    return json.loads(text)


def _path(data: Any, path: str, context: dict[str, Any]) -> Any:
    if path.startswith("$$"):
        data, path = context, path[1:]
    value = data
    for part in [p for p in path[1:].split(".") if p]:
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


def _present(data: Any, path: str) -> bool:
    try:
        _path(data, path, {})
        return True
    except KeyError:
        return False


def _parameters(template: Any, data: Any, context: dict[str, Any]) -> Any:
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _path(data, value, context)
            else:
                out[key] = _parameters(value, data, context)
        return out
    if isinstance(template, list):
        return [_parameters(v, data, context) for v in template]
    return template


def _choice(rule: dict[str, Any], data: Any) -> bool:
    if "And" in rule:
        return all(_choice(r, data) for r in rule["And"])
    if "IsPresent" in rule:
        return _present(data, rule["Variable"]) == rule["IsPresent"]
    raise NotImplementedError(f"choice rule {rule}")


class LocalStepFunctions:
    """Runs the definition; `functions` maps function ARNs to Python handlers; `s3` is a boto3 client."""

    def __init__(self, functions: dict[str, Callable[[Any, Any], Any]], s3: Any):
        self.functions = functions
        self.s3 = s3
        self.peak_children = 0
        self._running = 0
        self._lock = threading.Lock()

    def execute(self, definition: dict[str, Any], data: Any) -> tuple[str, Any]:
        """("SUCCEEDED", output) or ("FAILED", {"error", "cause"})."""
        try:
            return "SUCCEEDED", self._run(definition, data, {})
        except StatesError as exc:
            return "FAILED", {"error": exc.error, "cause": exc.cause}

    def _run(self, machine: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            kind = state["Type"]
            if kind == "Choice":
                name = next((c["Next"] for c in state["Choices"] if _choice(c, data)), state.get("Default"))
                if name is None:
                    raise StatesError("States.NoChoiceMatched")
                continue
            if kind == "Succeed":
                return data
            if kind == "Fail":
                cause = (
                    _path(data, state["CausePath"], context)
                    if "CausePath" in state
                    else state.get("Cause", "")
                )
                raise StatesError(state.get("Error", "States.Fail"), str(cause))
            if "InputPath" in state:
                data = _path(data, state["InputPath"], context)
            if kind == "Pass":
                pass
            elif kind == "Task":
                data = self._task(state, data, context)
            elif kind == "Map":
                data = self._map(state, data)
            else:
                raise NotImplementedError(kind)
            if state.get("End"):
                return data
            name = state["Next"]

    def _task(self, state: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
        assert state["Resource"] == "arn:aws:states:::lambda:invoke", state["Resource"]
        params = _parameters(state["Parameters"], data, context)
        function = self.functions[params["FunctionName"]]
        try:
            payload = function(copy.deepcopy(params.get("Payload")), None)
        except Exception as exc:  # a function error: Lambda.Unknown / the exception's type
            raise StatesError(type(exc).__name__, str(exc)) from None
        result: Any = {"Payload": json.loads(json.dumps(payload)), "StatusCode": 200}
        if "ResultSelector" in state:
            result = _parameters(state["ResultSelector"], result, context)
        if "OutputPath" in state:
            result = _path(result, state["OutputPath"], context)
        return result

    def _child(self, processor: dict[str, Any], item: Any) -> tuple[str, Any]:
        with self._lock:
            self._running += 1
            self.peak_children = max(self.peak_children, self._running)
        try:
            return self.execute(processor, item)
        finally:
            with self._lock:
                self._running -= 1

    def _map(self, state: dict[str, Any], data: Any) -> Any:
        assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        reader = state["ItemReader"]
        assert (
            reader["Resource"] == "arn:aws:states:::s3:getObject"
            and reader["ReaderConfig"]["InputType"] == "JSON"
        )
        where = _parameters(reader["Parameters"], data, {})
        items = json.loads(self.s3.get_object(Bucket=where["Bucket"], Key=where["Key"])["Body"].read())
        inputs = [
            _parameters(state["ItemSelector"], data, {"Map": {"Item": {"Index": i, "Value": v}}})
            for i, v in enumerate(items)
        ]
        with ThreadPoolExecutor(max_workers=int(state["MaxConcurrency"])) as pool:
            outcomes = list(pool.map(lambda item: self._child(state["ItemProcessor"], item), inputs))
        run_id = uuid.uuid4().hex
        details = self._write_results(state["ResultWriter"], run_id, inputs, outcomes)
        failed = sum(1 for status, _ in outcomes if status == "FAILED")
        tolerated = float(state.get("ToleratedFailurePercentage", 0))
        if inputs and failed * 100.0 / len(inputs) > tolerated:
            raise StatesError(
                "States.ExceedToleratedFailureThreshold", f"{failed} of {len(inputs)} items failed"
            )
        return {"MapRunArn": f"arn:aws:states:local:mapRun:{run_id}", "ResultWriterDetails": details}

    def _write_results(
        self, writer: dict[str, Any], run_id: str, inputs: list[Any], outcomes: list[tuple[str, Any]]
    ) -> dict[str, str]:
        params = writer["Parameters"]
        bucket, prefix = params["Bucket"], f"{params['Prefix']}/{run_id}"
        entries: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": []}
        for n, (given, (status, output)) in enumerate(zip(inputs, outcomes, strict=True)):
            entry: dict[str, Any] = {
                "ExecutionArn": f"arn:aws:states:local:execution:child:{run_id}-{n}",
                "Input": json.dumps(given),
                "InputDetails": {"Included": True},
                "Name": f"{run_id}-{n}",
                "Status": status,
            }
            if status == "SUCCEEDED":
                entry["Output"] = json.dumps(output)
                entry["OutputDetails"] = {"Included": True}
            else:
                entry["Error"], entry["Cause"] = output["error"], output["cause"]
            entries[status].append(entry)
        files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status, batch in entries.items():
            if batch:
                key = f"{prefix}/{status}_0.json"
                body = json.dumps(batch).encode()
                self.s3.put_object(Bucket=bucket, Key=key, Body=body)
                files[status].append({"Key": key, "Size": len(body)})
        manifest = {
            "DestinationBucket": bucket,
            "MapRunArn": f"arn:aws:states:local:mapRun:{run_id}",
            "ResultFiles": files,
        }
        self.s3.put_object(Bucket=bucket, Key=f"{prefix}/manifest.json", Body=json.dumps(manifest).encode())
        return {"Bucket": bucket, "Key": f"{prefix}/manifest.json"}
