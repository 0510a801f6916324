"""An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that answers
each request with the next plan of a JSON list, so that a crinn-tune run
evaluates exactly those plans in that order. Writes its URL to a file.

    python3 plan-server.py <plans.json> <url file>
"""
import http.server
import json
import os
import sys

plans = json.load(open(sys.argv[1]))
answered = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global answered
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        plan = plans[min(answered, len(plans) - 1)]
        answered += 1
        body = json.dumps({"choices": [{"message": {"role": "assistant",
                                                     "content": "```json\n" + json.dumps(plan) + "\n```"}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(f"http://127.0.0.1:{server.server_port}/v1/chat/completions")
os.replace(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
