"""Headers every response of chibo's HTTP servers gets, whatever handler (or tornado's own 404) answers."""

from __future__ import annotations

import tornado.httputil
import tornado.web


class NoServerVersion(tornado.web.OutputTransform):
    """tornado sends ``Server: TornadoServer/<version>`` on every response: it tells a scanner which
    vulnerabilities to try, and nothing to a client. Dropped before the headers go out."""

    def transform_first_chunk(self, status_code: int, headers: tornado.httputil.HTTPHeaders, chunk: bytes,
                              finishing: bool) -> tuple[int, tornado.httputil.HTTPHeaders, bytes]:
        if "Server" in headers:
            del headers["Server"]
        return status_code, headers, chunk


TRANSFORMS: list[type[tornado.web.OutputTransform]] = [NoServerVersion]  # for tornado.web.Application(transforms=...)
