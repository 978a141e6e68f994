"""Option building, capacities and the OR-Tools model."""
