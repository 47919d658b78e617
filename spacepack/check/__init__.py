"""`check`: inspect a project folder and return a `Plan` (pure: AST only, user code never runs)."""
