"""Where a run's results go beyond the local report files: the opt-in writes (Security Hub)."""
