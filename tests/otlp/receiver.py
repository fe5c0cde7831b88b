"""An OTLP/HTTP logs receiver for sluice's tests: an implementation of the protocol independent
of sluice's, decoding with the OpenTelemetry project's own Python classes (the
``opentelemetry-proto`` package).

It listens on 127.0.0.1 (port printed on stdout's first line), answers ``POST /v1/logs``, and
writes every record it accepts to ``--out`` as one JSON object per line. It stops when its
standard input closes (the test ends) or after ``--idle`` seconds without a request.

Faults, for the retry tests: ``--fail N:STATUS[:RETRY_AFTER]`` answers the first N requests
with STATUS (and a Retry-After header) without accepting them; ``--delay S`` sleeps S seconds
before answering each request; ``--reject N`` accepts requests but reports the first N records
of each as rejected (``partial_success``).
"""

import argparse
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from google.rpc import status_pb2  # noqa: F401  (shipped with googleapis-common-protos)
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2


def value(any_value):
    """An AnyValue as JSON: its one set field, bytes as {"bytes": hex}."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "bytes_value":
        return {"bytes": any_value.bytes_value.hex()}
    if kind in ("array_value", "kvlist_value"):
        return MessageToDict(any_value)
    return getattr(any_value, kind)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--fail", default="")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--reject", type=int, default=0)
    parser.add_argument("--idle", type=float, default=120.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    fail_count, fail_status, retry_after = 0, 0, None
    if args.fail:
        parts = args.fail.split(":")
        fail_count, fail_status = int(parts[0]), int(parts[1])
        retry_after = parts[2] if len(parts) > 2 else None

    out = open(args.out, "a", buffering=1)
    lock = threading.Lock()
    state = {"requests": 0, "last": time.monotonic()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            for name, val in headers:
                self.send_header(name, val)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state["requests"] += 1
                state["last"] = time.monotonic()
                n = state["requests"]
            if args.delay:
                time.sleep(args.delay)
            if self.path != "/v1/logs":
                self.answer(404, b"no such path")
                return
            if self.headers.get("Content-Type") != "application/x-protobuf":
                self.answer(415)
                return
            if n <= fail_count:
                status = status_pb2.Status(code=14, message=f"try later ({n})")
                headers = [("Retry-After", retry_after)] if retry_after else []
                self.answer(fail_status, status.SerializeToString(), headers)
                return
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            request = logs_service_pb2.ExportLogsServiceRequest()
            request.ParseFromString(body)
            response = logs_service_pb2.ExportLogsServiceResponse()
            with lock:
                for resource_logs in request.resource_logs:
                    resource = {kv.key: value(kv.value) for kv in resource_logs.resource.attributes}
                    for scope_logs in resource_logs.scope_logs:
                        scope = scope_logs.scope.name
                        records = list(scope_logs.log_records)
                        rejected = min(args.reject, len(records))
                        for record in records[rejected:]:
                            out.write(json.dumps({
                                "request": n,
                                "body": value(record.body),
                                "attributes": {kv.key: value(kv.value) for kv in record.attributes},
                                "time": record.time_unix_nano,
                                "observed": record.observed_time_unix_nano,
                                "severity_text": record.severity_text,
                                "severity_number": record.severity_number,
                                "resource": resource,
                                "scope": scope,
                            }) + "\n")
                        if rejected:
                            partial = response.partial_success
                            partial.rejected_log_records += rejected
                            partial.error_message = "rejected by the test receiver"
            self.answer(200, response.SerializeToString())

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # A sender killed mid-request (the SIGKILL test) resets its connection: not news.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)

    def watch():
        sys.stdin.read()
        server.shutdown()

    def idle():
        while True:
            time.sleep(1)
            if time.monotonic() - state["last"] > args.idle:
                server.shutdown()
                return

    threading.Thread(target=watch, daemon=True).start()
    threading.Thread(target=idle, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
