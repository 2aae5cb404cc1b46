"""ecs-net-audit: find where an account's ECS networking will break next."""

__version__ = "0.1.0"
