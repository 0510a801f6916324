"""An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that answers
each request with the next entry of a JSON list, so that a crinn-tune run
evaluates exactly those plans in that order (the last entry answers every
request after the list). Writes its URL to a file.

    python3 plan-server.py <plans.json> <url file>

An entry is a plan ({"plan": [...]}, answered as a chat completion holding
it) or one way of failing:
    {"status": 401}     that HTTP status, with an error body
    {"body": "<text>"}  HTTP 200 with that body, which is no chat completion
    {"hang": true}      no answer at all (the request is held open)
"""
import http.server
import json
import os
import sys
import time

plans = json.load(open(sys.argv[1]))
answered = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global answered
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        entry = plans[min(answered, len(plans) - 1)]
        answered += 1
        if entry.get("hang"):
            time.sleep(3600)
            return
        status = entry.get("status", 200)
        if "body" in entry:
            body = entry["body"]
        elif "plan" in entry:
            body = json.dumps({"choices": [{"message": {"role": "assistant",
                                                         "content": "```json\n" + json.dumps(entry) + "\n```"}}]})
        else:
            body = json.dumps({"error": {"message": f"scripted HTTP {status}"}})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
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
