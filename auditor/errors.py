"""The project's exceptions. Library code raises these; only the CLI turns one into an exit code."""


class AuditorError(Exception):
    """Base of every error the auditor raises on purpose."""

    exit_code = 2


class ConfigError(AuditorError):
    """A configuration file or command-line value is malformed or unknown (exit 2)."""


class SnapshotError(AuditorError):
    """A snapshot file cannot be read: missing, truncated, edited or of another schema (exit 2)."""


class CollectError(AuditorError):
    """Nothing could be collected: no credentials, endpoint unreachable, everything denied (exit 3)."""

    exit_code = 3


class ApiFailure(Exception):
    """A call that did not succeed; already recorded in the coverage. The collector that made it
    decides what depends on it; it never becomes "no data"."""

    def __init__(self, api: str, status: str, detail: str):
        super().__init__(f"{api}: {status}: {detail}")
        self.api = api
        self.status = status
        self.detail = detail


class ExpectedError(Exception):
    """An error answer the collector asked to handle itself (`Recorder.call(expected=…)`): counted
    as a call, not recorded as a failure. `cause` is botocore's exception, for `Recorder.failure`
    when the collector cannot recover after all."""

    def __init__(self, api: str, code: str, message: str, cause: Exception):
        super().__init__(f"{api}: {code}: {message}")
        self.api = api
        self.code = code
        self.message = message
        self.cause = cause
