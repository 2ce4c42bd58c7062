"""The local website the client flows onboard: the pages in site/, plus the verification
file a flow PUTs once the api has issued its token (kept in memory, served back on GET).

    python3 site.py PORT
"""

import http.server
import pathlib
import sys

PAGES = pathlib.Path(__file__).parent / "site"
TYPES = {".html": "text/html; charset=utf-8", ".svg": "image/svg+xml"}
placed: dict[str, bytes] = {}


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in placed:
            return self.answer(200, "text/plain", placed[path])
        name = "index.html" if path == "/" else path.lstrip("/")
        page = (PAGES / name).resolve()
        if page.parent != PAGES.resolve() or not page.is_file():
            return self.answer(404, "text/plain", b"not found")
        self.answer(200, TYPES.get(page.suffix, "application/octet-stream"), page.read_bytes())

    def do_PUT(self) -> None:
        # Only the verification file may be placed.
        if not self.path.startswith("/.well-known/"):
            return self.answer(403, "text/plain", b"only /.well-known/ files")
        placed[self.path] = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(204, "text/plain", b"")

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Site).serve_forever()
