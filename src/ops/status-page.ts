// The status page at `/`: nodes, sessions, transfers with live progress and
// drift, refreshed every second from /api/status without reloading. One
// self-contained document (no external assets). Everything from the mesh is
// put into the page with textContent, never parsed as HTML, and the Content
// Security Policy allows only this page's own script and style (by nonce):
// a node id or path that holds markup shows as text and runs nothing.

/** How often the page asks for a new status, ms. */
export const PAGE_REFRESH_MS = 1000;

/** The headers the page is served with; `nonce` is fresh per response. */
export function statusPageHeaders(nonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // The page's address may carry the token (?token=); never send it elsewhere.
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

const STYLE = `
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em} h2{font-size:1.05em;margin:1.4em 0 .4em}
#state{color:#666} #state.down{color:#b00020;font-weight:bold}
table{border-collapse:collapse;min-width:40em;background:#fff} th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f0} .online{color:#0a7d32;font-weight:bold} .offline{color:#b00020;font-weight:bold}
progress{width:12em} .empty{color:#888;font-style:italic} code{font-size:.95em}
`;

// Plain ES2020 run by the browser. Builds every cell with textContent.
const SCRIPT = `
'use strict';
const params = new URLSearchParams(location.search);
if (params.get('token')) { sessionStorage.setItem('meshToken', params.get('token')); history.replaceState(null, '', location.pathname); }
const token = sessionStorage.getItem('meshToken') || '';
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function bytes(n) { const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return (i ? n.toFixed(1) : n) + ' ' + u[i]; }
function fill(tbodyId, rows, cols, make) {
  const body = $(tbodyId); const next = document.createDocumentFragment();
  if (rows.length === 0) { const tr = el('tr'); const td = el('td', 'none', 'empty'); td.colSpan = cols; tr.appendChild(td); next.appendChild(tr); }
  for (const r of rows) next.appendChild(make(r));
  body.replaceChildren(next);
}
function render(v) {
  $('hub').textContent = 'hub ' + v.hubId + ' \\u00b7 nodes attach at ' + v.grpc + ' \\u00b7 store ' + v.store;
  fill('nodes', v.nodes, 4, (n) => { const tr = el('tr'); tr.setAttribute('data-node', n.node); tr.appendChild(el('td', n.node)); tr.appendChild(el('td', n.online ? 'online' : 'offline', 'state ' + (n.online ? 'online' : 'offline'))); tr.appendChild(el('td', n.sessions.join(', '))); tr.appendChild(el('td', n.fetchVia || '-', 'via')); return tr; });
  fill('sessions', v.sessions, 3, (s) => { const tr = el('tr'); tr.setAttribute('data-session', s.name); tr.appendChild(el('td', s.name)); tr.appendChild(el('td', s.members)); tr.appendChild(el('td', s.online)); return tr; });
  fill('transfers', v.transfers, 4, (t) => {
    const tr = el('tr'); tr.setAttribute('data-transfer', t.transferId);
    tr.appendChild(el('td', t.kind)); const where = el('td'); where.appendChild(el('code', t.session + ':' + t.path)); tr.appendChild(where);
    const prog = el('td'); const bar = el('progress'); bar.max = Math.max(1, t.total); bar.value = t.done; prog.appendChild(bar);
    prog.appendChild(el('span', ' ' + (t.total ? Math.floor(100 * t.done / t.total) : 100) + '% of ' + bytes(t.size) + ' x ' + t.nodes.length)); tr.appendChild(prog);
    tr.appendChild(el('td', t.nodes.map((n) => n.node + ' ' + n.state + ' ' + bytes(n.bytes)).join(', '))); return tr;
  });
  fill('drift', v.drift.slice().reverse(), 5, (d) => { const tr = el('tr'); tr.appendChild(el('td', new Date(d.at).toLocaleTimeString())); tr.appendChild(el('td', d.node)); const p = el('td'); p.appendChild(el('code', d.session + ':' + d.path)); tr.appendChild(p); tr.appendChild(el('td', d.kind)); tr.appendChild(el('td', d.action)); return tr; });
}
async function refresh() {
  try {
    const r = await fetch('/api/status', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
    if (r.status === 401) throw new Error('not authorised: open this page as /?token=<the token in <data>/http-token>');
    if (!r.ok) throw new Error('HTTP ' + r.status);
    render(await r.json());
    $('state').textContent = 'updated ' + new Date().toLocaleTimeString(); $('state').className = '';
  } catch (e) { $('state').textContent = 'hub unreachable: ' + e.message; $('state').className = 'down'; }
}
refresh(); setInterval(refresh, ${PAGE_REFRESH_MS});
`;

function table(id: string, heads: string[]): string {
  return `<table><thead><tr>${heads.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody id="${id}"></tbody></table>`;
}

/** The page; it holds no mesh data itself (that comes from /api/status), so nothing in it needs escaping. */
export function statusPage(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mesh Assistant</title><style nonce="${nonce}">${STYLE}</style></head>
<body><h1>Mesh Assistant</h1><div id="hub"></div><div id="state">loading...</div>
<h2>Nodes</h2>${table('nodes', ['node', 'state', 'sessions', 'data via'])}
<h2>Sessions</h2>${table('sessions', ['session', 'members', 'online'])}
<h2>Transfers</h2>${table('transfers', ['kind', 'file', 'progress', 'nodes'])}
<h2>Drift</h2>${table('drift', ['time', 'node', 'file', 'kind', 'action'])}
<script nonce="${nonce}">${SCRIPT}</script></body></html>
`;
}
