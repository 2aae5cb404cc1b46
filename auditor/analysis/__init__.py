"""Analysis: everything the checks and reporters share, computed once per run from a Snapshot.

`context.AnalysisContext` is built once by `pipeline.analyse`; the other modules hold the domain
logic it rests on (indexes, capacity, placement, security-group rules, routes, egress paths,
instance facts).
Nothing here calls AWS.
"""
