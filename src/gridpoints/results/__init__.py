"""Reading periods: reports, explanations, what-if and exports."""
