"""`python -m auditor` is the same as the `ecs-net-audit` console script."""

from auditor.cli import main

raise SystemExit(main())
