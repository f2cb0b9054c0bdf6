"""leaflet: tailored, printable PDF patient leaflets from structured content.

The pipeline is load -> validate -> tailor -> layout -> write, one module per stage;
`leaflet.build` strings them together and `leaflet.cli` is a thin click layer on top.
"""

import os

__version__ = "0.3.0"

# leaflet's schemas use no pydantic plugins, and looking for them scans the metadata of
# every installed package (about 20 ms of a build that checks a file). A value set by
# the user wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
