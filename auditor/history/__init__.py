"""History: reading earlier runs (`runs.py`) and turning them into trends and forecasts (`trend.py`).

Nothing here imports boto3: a location is anything with `list_keys()` and `read_bytes(key)`
(`runs.RunSource`); the local folder source lives in `runs.py`, the S3 one in `auditor.outputs`.
"""
