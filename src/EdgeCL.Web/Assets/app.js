// The device page: state from /api/state, live samples and state from /api/events (Server-Sent Events), actions by POST
// with the page token. No dependencies, nothing fetched from elsewhere.
"use strict";
const $ = (id) => document.getElementById(id);
const windowMs = 5 * 60 * 1000;
let token = null, state = null;
const points = [];

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

function renderState(s) {
  state = s;
  $("device").textContent = s.device;
  $("identity").textContent = `fleet ${s.fleet} · backbone ${s.backbone} (${s.kind}) · space ${s.space.slice(0, 12)} · threshold ${s.threshold}`;
  const body = $("classes").tBodies[0];
  body.replaceChildren(...s.classes.map((c) => {
    const row = document.createElement("tr");
    row.append(text("td", c.label), text("td", c.own), text("td", c.fleet), text("td", c.devices));
    const cell = document.createElement("td");
    if (token && c.own > 0) {
      const forget = text("button", "forget");
      forget.dataset.label = c.label;
      forget.className = "forget";
      forget.addEventListener("click", () => {
        if (confirm(`Forget '${c.label}' on this device (and its share in the fleet)?`)) act("forget", { label: c.label });
      });
      cell.append(forget);
    }
    row.append(cell);
    return row;
  }));
  const h = s.health;
  const items = [
    ["teaching", s.teach_label ?? "no"],
    ["learner", `${h.learner} (adaptation ${s.adapt ? h.adaptation ?? "on" : "off"}, ${h.adaptation_resets} resets)`],
    ["provider", `${h.provider}, ${h.dimension} dims`],
    ["recognised / learned", `${h.recognised} / ${h.learned}`],
    ["rejected", h.rejected ? Object.entries(h.rejected).map(([k, v]) => `${k} ${v}`).join(", ") : "none"],
    ["broker", h.connected ? `connected, ${h.pending_outbox} to send` : `not connected, ${h.pending_outbox} to send`],
    ["sync drops", h.dropped ? Object.entries(h.dropped).map(([k, v]) => `${k} ${v}`).join(", ") : "none"],
    ["sources", h.sources],
    ["uptime", `${h.uptime_seconds} s, ${(h.rss_bytes / 1048576).toFixed(0)} MiB`],
    ["last error", h.last_error ?? "none"],
  ];
  $("health").replaceChildren(...items.flatMap(([k, v]) => [text("dt", k), text("dd", String(v))]));
}

function addSample(e) {
  const row = document.createElement("tr");
  const answer = e.outcome === "recognised" ? e.label : e.outcome === "learned" ? `learned ${e.label}` : e.outcome === "unknown" ? `unknown (best ${e.best ?? "-"}${e.reason ? ", " + e.reason : ""})` : `rejected: ${e.reason ?? ""}`;
  row.append(text("td", new Date(e.t).toLocaleTimeString()), text("td", e.source), text("td", answer, e.outcome),
    text("td", e.score === undefined ? "-" : `${e.score.toFixed(3)} / ${e.threshold}`), text("td", `${e.latency_ms} ms`));
  row.className = "sample";
  const body = $("live").tBodies[0];
  body.prepend(row);
  while (body.rows.length > 200) body.deleteRow(-1);
  if (e.score !== undefined) points.push(e);
  draw();
}

function draw() {
  const canvas = $("plot"), ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, now = Date.now();
  while (points.length && points[0].t < now - windowMs) points.shift();
  ctx.clearRect(0, 0, w, h);
  const y = (score) => h - 8 - Math.max(0, Math.min(1, (score + 1) / 2)) * (h - 16);
  if (state) {
    ctx.strokeStyle = "#cf222e";
    ctx.setLineDash([4, 4]);
    ctx.beginPath(); ctx.moveTo(0, y(state.threshold)); ctx.lineTo(w, y(state.threshold)); ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const p of points) {
    ctx.fillStyle = p.outcome === "recognised" ? "#1a7f37" : "#8c959f";
    ctx.fillRect(w - ((now - p.t) / windowMs) * w - 2, y(p.score) - 2, 4, 4);
  }
}

async function act(action, params, body) {
  const query = new URLSearchParams(params ?? {}).toString();
  const message = $("message");
  try {
    const response = await fetch(`/api/${action}${query ? "?" + query : ""}`, { method: "POST", headers: { "X-EdgeCL-Token": token }, body });
    const answer = response.headers.get("content-type")?.startsWith("application/json") ? (await response.json()).message : (await response.text()).trim();
    message.textContent = answer;
    message.className = response.ok ? "" : "error";
    return response.ok;
  } catch (err) {
    message.textContent = `the device did not answer: ${err}`;
    message.className = "error";
    return false;
  }
}

function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => { $("stream").textContent = "live"; $("stream").className = "pill live"; });
  events.addEventListener("error", () => { $("stream").textContent = "reconnecting…"; $("stream").className = "pill"; });
  events.addEventListener("state", (m) => renderState(JSON.parse(m.data)));
  events.addEventListener("sample", (m) => addSample(JSON.parse(m.data)));
}

async function start() {
  const s = await (await fetch("/api/state")).json();
  token = s.token ?? null;
  $("actions").hidden = !s.admin;
  renderState(s);
  $("teach-form").addEventListener("submit", (e) => { e.preventDefault(); act("teach", { label: $("teach-label").value }); });
  $("upload-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const label = $("upload-label").value;
    let learned = 0;
    for (const file of $("upload-files").files) {
      if (file.size > state.max_upload_bytes) { $("message").textContent = `${file.name} is over ${state.max_upload_bytes} bytes`; $("message").className = "error"; return; }
      if (await act("upload", { label, name: file.name }, file)) learned++; else return;
    }
    $("message").textContent = `${learned} example(s) learned as '${label}'`;
  });
  $("false-alarm").addEventListener("click", () => act("false-alarm"));
  $("reset").addEventListener("click", () => act("reset-adaptation"));
  connect();
  setInterval(draw, 1000);
}

start();
