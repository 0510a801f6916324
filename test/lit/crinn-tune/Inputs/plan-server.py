"""An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that answers
each request with the next entry of a script, so that a crinn-tune run
evaluates exactly those plans in that order. Writes its URL to a file.

    python3 plan-server.py <plans.json> <url file>
    python3 plan-server.py <llm-transcript.jsonl> <url file>

A JSON list scripts the answers (its last entry answers every request after
the list). An entry is a plan ({"plan": [...]}, answered as a chat completion
holding it, after its "explanation" if it has one) or one way of failing:
    {"status": 401}     that HTTP status, with an error body
    {"body": "<text>"}  HTTP 200 with that body, which is no chat completion
    {"hang": true}      no answer at all (the request is held open)

A transcript crinn-tune wrote (llm-transcript.jsonl) is a recorded endpoint:
request n gets the status and body recorded for request n (a recorded
transport error: the connection is closed unanswered), if it asks the
recorded model with as many messages; otherwise, and past the end, HTTP 400
saying why. Each request whose Authorization header holds the key in
CRINN_LLM_API_KEY adds a line to <url file>.authorized.
"""
import http.server
import json
import os
import sys
import time

replay = sys.argv[1].endswith(".jsonl")
if replay:
    script = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
else:
    script = json.load(open(sys.argv[1]))
key = os.environ.get("CRINN_LLM_API_KEY", "")
answered = 0


def recorded_answer(n, request):
    """The status and body recorded for request n, or None to close unanswered."""
    if n >= len(script):
        return 400, json.dumps({"error": {"message": f"request {n + 1}: the transcript has {len(script)}"}})
    recorded = script[n]["request"]
    if request.get("model") != recorded["model"] or len(request.get("messages", [])) != len(recorded["messages"]):
        return 400, json.dumps({"error": {"message": f"request {n + 1} differs from the recorded one"}})
    if "error" in script[n]:
        return None
    return script[n]["status"], script[n]["body"]


def scripted_answer(entry):
    if entry.get("hang"):
        time.sleep(3600)
        return None
    status = entry.get("status", 200)
    if "body" in entry:
        return status, entry["body"]
    if "plan" in entry:
        content = entry.get("explanation", "") + "\n```json\n" + json.dumps({"plan": entry["plan"]}) + "\n```"
        return status, json.dumps({"choices": [{"message": {"role": "assistant", "content": content.lstrip()}}]})
    return status, json.dumps({"error": {"message": f"scripted HTTP {status}"}})


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global answered
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        n = answered
        answered += 1
        if key and self.headers.get("Authorization") == "Bearer " + key:
            with open(sys.argv[2] + ".authorized", "a") as f:
                f.write(f"request {n + 1}\n")
        answer = recorded_answer(n, request) if replay else scripted_answer(script[min(n, len(script) - 1)])
        if answer is None:
            self.close_connection = True
            return
        status, body = answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


# Threads, so that a held request does not hold the next one.
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(f"http://127.0.0.1:{server.server_port}/v1/chat/completions")
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
