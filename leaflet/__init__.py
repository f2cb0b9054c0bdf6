"""leaflet: tailored, printable PDF patient leaflets from structured content.

The pipeline is load -> validate -> tailor -> layout -> write, one module per stage;
`leaflet.build` strings them together and `leaflet.cli` is a thin click layer on top.
"""

__version__ = "0.2.0"
