"""`leaflet serve`: the clinic's web page and the HTTP API, over the same pipeline as the CLI.

- `fields`: the request's fields, made from the batch manifest's columns, checked by its row checks;
- `library`: what a worker loads once (medicines, styles, fonts), its render pool, page previews;
- `app`: the Starlette routes and the guard (limits, headers, access log);
- `openapi`: the API's description; `server`: safe defaults, then uvicorn.
"""
