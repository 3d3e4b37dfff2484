"""HTTP layer: blueprints and error pages. Thin: parse, call a service, render or redirect."""
