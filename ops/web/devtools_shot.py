#!/usr/bin/python3
"""Screenshots of live pages with headless chromium over the DevTools protocol (stdlib only: the pages keep an event
stream open, so chromium's --screenshot, which waits for the page to finish loading, draws them too early or never).

    devtools_shot.py CHROMIUM PROFILE_DIR URL FILE WIDTH HEIGHT READY_JS [URL FILE WIDTH HEIGHT READY_JS ...]

Each page is opened at WIDTH x HEIGHT (a phone below 600 px), READY_JS is polled until true (at most 20 s), then the
viewport is written to FILE as PNG.
"""
import base64, json, os, re, socket, struct, subprocess, sys, time, urllib.request


class DevTools:
    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET {m.group(3)} HTTP/1.1\r\nHost: {m.group(1)}:{m.group(2)}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"DevTools refused the WebSocket: {head[:80]!r}")
        self.next_id = 0

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _receive(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            message += self._read(n)
            if b0 & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def main(argv):
    chromium, profile, shots = argv[1], argv[2], argv[3:]
    process = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                                "--disable-background-networking", "--disable-extensions", "--remote-debugging-port=0",
                                f"--user-data-dir={profile}", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                break
        else:
            raise RuntimeError("chromium did not start its DevTools endpoint")
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/json/list"))
        tools = DevTools(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
        for url, path, width, height, ready in zip(*[iter(shots)] * 5):
            width, height = int(width), int(height)
            tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 600)
            tools.call("Page.navigate", url=url)
            deadline = time.time() + 20
            while not tools.evaluate(f"!!({ready})"):
                if time.time() > deadline:
                    raise RuntimeError(f"{url}: '{ready}' not true after 20 s")
                time.sleep(0.1)
            time.sleep(0.3)  # let the last rendering settle
            png = base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"])
            with open(path, "wb") as f:
                f.write(png)
            print(f"wrote {path} ({len(png)} bytes)")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main(sys.argv)
