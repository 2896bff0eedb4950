"""Plots: self-contained Plotly HTML and ASCII terminal graphs, fed thinned NumPy arrays."""
