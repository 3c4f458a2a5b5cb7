"""A local OpenAI-compatible HTTP server (the LLM provider is an external transport we fake).

Embeddings are deterministic bag-of-words hashes, so similar texts get similar vectors.
Chat completions stream (SSE) an answer that quotes the first knowledge item of the system
prompt, word by word, `delay` seconds apart; when the prompt asks for a verdict line, the answer
ends with one (answered, citing [1]; or not in the knowledge when the prompt has none).
`replies` scripts whole answers; `fail(key, status, ...)` makes the requests made with one API key answer an HTTP
error (429 with Retry-After, 500, 401...), always or a number of times (the key pool's tests).
Run standalone to be killable:
`python -m tests.fakes.openai_server --port 8123 --delay 0.2`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIM = 64


def bag_of_words_vector(text: str, dim: int = DIM) -> list[float]:
    vector = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dim] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))
        self.server.auth_headers.append(self.headers.get("Authorization", ""))
        if self.path.endswith("/embeddings"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            payload = {
                "object": "list",
                "model": body["model"],
                "data": [
                    {"object": "embedding", "index": i, "embedding": bag_of_words_vector(text)}
                    for i, text in enumerate(inputs)
                ],
                "usage": {"prompt_tokens": sum(len(t.split()) for t in inputs), "total_tokens": 0},
            }
            self._json(200, payload)
        elif self.path.endswith("/chat/completions"):
            if failure := self.server.failure_for(self.headers.get("Authorization", "").removeprefix("Bearer ")):
                status, headers = failure
                self._json(status, {"error": {"message": f"fake error {status}", "type": "fake"}}, headers)
                return
            self._chat(body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def _chat(self, body: dict) -> None:
        answer = self.server.replies.pop(0) if self.server.replies else grounded_answer(body["messages"])
        if not body.get("stream"):
            usage = {"prompt_tokens": 42, "completion_tokens": len(answer.split()), "total_tokens": 0}
            message = {"role": "assistant", "content": answer}
            self._json(200, {"id": "c1", "object": "chat.completion", "model": body["model"], "usage": usage,
                             "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})  # fmt: skip
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in re.findall(r"\S+\s*", answer):
            self._event({"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}, body)
            time.sleep(self.server.delay)
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, body)
        usage = {
            "prompt_tokens": 42,
            "completion_tokens": len(answer.split()),
            "total_tokens": 42 + len(answer.split()),
        }
        self._event({"choices": [], "usage": usage}, body)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, payload: dict, body: dict) -> None:
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"], **payload}
        self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        self.wfile.flush()

    def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def grounded_answer(messages: list[dict]) -> str:
    """Quote the first knowledge item of the system prompt, like a model that follows its instructions."""
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    verdict = "VERDICT:" in system
    match = re.search(r"\[1\] (?:\([^)]*\) )?(.+)", system)
    if not match:
        answer = "I do not know. Shall I connect a human operator?"
        return answer + ('\nVERDICT: {"answered": false, "sources": []}' if verdict else "")
    first_sentence = re.split(r"(?<=[.!?])\s", match.group(1).strip())[0]
    answer = f"According to our knowledge base: {first_sentence} [1]"
    return answer + ('\nVERDICT: {"answered": true, "sources": [1]}' if verdict else "")


class FakeOpenAIServer(ThreadingHTTPServer):
    requests: list[tuple[str, dict]]
    auth_headers: list[str]
    delay: float = 0.0
    replies: list[str]
    failures: dict[str, tuple[int, dict[str, str], int | None]]  # API key -> (status, headers, times left or None)

    def fail(self, api_key: str, status: int, *, retry_after: int | None = None, times: int | None = None) -> None:
        """Requests with `api_key` answer `status` (with Retry-After when given): `times` times, or always."""
        self.failures[api_key] = (status, {"Retry-After": str(retry_after)} if retry_after is not None else {}, times)

    def failure_for(self, api_key: str) -> tuple[int, dict[str, str]] | None:
        if (failure := self.failures.get(api_key)) is None:
            return None
        status, headers, left = failure
        if left is not None:
            if left <= 1:
                del self.failures[api_key]
            else:
                self.failures[api_key] = (status, headers, left - 1)
        return status, headers

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@contextmanager
def running_fake_openai(delay: float = 0.0) -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(("127.0.0.1", 0), _Handler)
    server.requests, server.auth_headers, server.delay, server.replies = [], [], delay, []
    server.failures = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeOpenAIServer(("127.0.0.1", args.port), _Handler)
    server.requests, server.auth_headers, server.delay, server.replies = [], [], args.delay, []
    server.failures = {}
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
