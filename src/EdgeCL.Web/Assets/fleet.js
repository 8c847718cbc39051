// The fleet page: state from /api/fleet, live from /api/events (Server-Sent Events), commands by POST with the page token.
// No dependencies, nothing fetched from elsewhere.
"use strict";
const $ = (id) => document.getElementById(id);
let token = null, state = null;

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

function ago(ms, now) {
  if (!ms) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86400 ? `${Math.round(s / 3600)} h ago` : new Date(ms).toLocaleString();
}

function counts(map) {
  const entries = Object.entries(map ?? {}).filter(([, v]) => v > 0);
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
}

function button(label, action) {
  const b = text("button", label);
  b.addEventListener("click", action);
  return b;
}

function render(s) {
  state = s;
  $("fleet").textContent = s.fleet;
  $("identity").textContent = `broker ${s.broker} ${s.connected ? "connected" : "not connected" + (s.broker_error ? ` (${s.broker_error})` : "")}` +
    ` · entries ${s.verified ? "verified" : "not verified (no --trust)"} · ${s.operator ? `commands signed by ${s.operator}, valid ${s.command_seconds} s` : "commands off (no --operator-key)"}`;
  const canSend = token && s.operator;
  $("devices").tBodies[0].replaceChildren(...s.devices.map((d) => {
    const row = document.createElement("tr");
    row.dataset.device = d.device;
    const h = d.health ?? {};
    const classes = d.entries.filter((e) => !e.tombstone);
    row.append(text("td", d.device), text("td", d.online === true ? "online" : d.online === false ? "offline" : "no status", d.online ? "recognised" : "unknown"),
      text("td", ago(d.last_seen_ms, s.now_ms)), text("td", h.version ?? "-"), text("td", (d.space ?? "-").slice(0, 12)),
      text("td", classes.length ? classes.map((e) => `${e.label} (${e.count})`).join(", ") : "none"),
      text("td", counts(h.dropped)), text("td", h.last_error ?? "none"));
    const cell = document.createElement("td");
    if (canSend) cell.append(button("reset adaptation", () => send(d.device, "reset_adaptation")));
    row.append(cell);
    return row;
  }));
  $("classes").tBodies[0].replaceChildren(...s.classes.map((c) => {
    const row = document.createElement("tr");
    row.dataset.label = c.label;
    const who = c.devices.map((d) => `${d.device} (${d.count})`).concat(c.forgotten_by.map((d) => `${d} (forgotten)`));
    row.append(text("td", c.label), text("td", c.count), text("td", who.join(", ")), text("td", ago(c.changed_ms, s.now_ms)));
    const cell = document.createElement("td");
    if (canSend && c.devices.length) {
      cell.append(button("forget everywhere", async () => {
        if (!confirm(`Forget '${c.label}' on ${c.devices.map((d) => d.device).join(", ")}?`)) return;
        for (const d of c.devices) if (!await send(d.device, "forget_class", c.label)) return;
      }));
    }
    row.append(cell);
    return row;
  }));
  $("commands").tBodies[0].replaceChildren(...s.commands.map((c) => {
    const row = document.createElement("tr");
    row.dataset.id = c.id;
    row.append(text("td", new Date(c.sent_ms).toLocaleTimeString()), text("td", c.device), text("td", c.command + (c.label ? ` '${c.label}'` : "")),
      text("td", c.why ? `${c.state}: ${c.why}` : c.state, `state ${c.state}`), text("td", c.id.slice(0, 8)));
    return row;
  }));
  const select = $("command-device"), chosen = select.value;
  select.replaceChildren(...s.devices.map((d) => text("option", d.device)));
  if (chosen) select.value = chosen;
  $("command-form").hidden = !canSend;
}

async function send(device, command, label, backbone) {
  const params = new URLSearchParams({ device, command });
  if (label) params.set("label", label);
  if (backbone) params.set("backbone", backbone);
  const message = $("message");
  try {
    const response = await fetch(`/api/command?${params}`, { method: "POST", headers: { "X-EdgeCL-Token": token } });
    const answer = response.headers.get("content-type")?.startsWith("application/json") ? (await response.json()).message : (await response.text()).trim();
    message.textContent = answer;
    message.className = response.ok ? "" : "error";
    return response.ok;
  } catch (err) {
    message.textContent = `the fleet page did not answer: ${err}`;
    message.className = "error";
    return false;
  }
}

function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("open", () => { $("stream").textContent = "live"; $("stream").className = "pill live"; });
  events.addEventListener("error", () => { $("stream").textContent = "reconnecting…"; $("stream").className = "pill"; });
  events.addEventListener("state", (m) => render(JSON.parse(m.data)));
}

async function start() {
  const s = await (await fetch("/api/fleet")).json();
  token = s.token ?? null;
  render(s);
  $("command-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send($("command-device").value, $("command-kind").value, $("command-label").value, $("command-backbone").value);
  });
  connect();
}

start();
