"""A real HTTP receiver on a loopback port, that verifies each delivery's signature.

``answers`` is the list of what it does to each request in turn (the last repeats):
a status code to answer with, or "hang" to keep the connection open without a word.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opsmaturity.webhooks import signing


class Receiver:
    def __init__(self, secret, answers=(200,)):
        self.secret = secret
        self.answers = list(answers)
        self.requests = []  # (headers, body, signature valid)
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                valid = signing.verify(
                    receiver.secret,
                    self.headers.get(signing.TIMESTAMP_HEADER),
                    body,
                    self.headers.get(signing.SIGNATURE_HEADER),
                )
                receiver.requests.append((dict(self.headers), body, valid))
                index = min(len(receiver.requests), len(receiver.answers)) - 1
                answer = receiver.answers[index]
                if answer == "hang":
                    receiver.released.wait(10)
                    return
                code = answer if valid else 401
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else f"refused {code}".encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0.01)
