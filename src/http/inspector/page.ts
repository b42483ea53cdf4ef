/** The inspector page: plain HTML and a little script, served by ChamaHub itself. */
export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ChamaHub query inspector</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2a24; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  p.lead { margin: 0 0 1rem; color: #4b5d54; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #dde5e0; vertical-align: top; }
  tr.request { cursor: pointer; }
  tr.request:hover { background: #f1f7f3; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: 12px; }
  .bad { background: #fde2e1; color: #9b1c1c; }
  .ok { background: #dcf3e4; color: #1e6b3a; }
  .statements { background: #fafcfb; }
  .statement { margin: .4rem 0; padding: .4rem .6rem; border-left: 3px solid #b9cbc1; }
  .statement.flagged { border-left-color: #d14343; background: #fff5f5; }
  code { font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
  .meta { color: #56685e; font-size: 12px; }
  pre.plan { background: #12201a; color: #d8f3e3; padding: .6rem; font-size: 12px; overflow-x: auto; }
  button { font: inherit; font-size: 12px; }
</style>
</head>
<body>
<h1>ChamaHub query inspector</h1>
<p class="lead">The last requests and every SQL statement they ran. Click a request to see its SQL; duplicates and N+1 loops are marked red.</p>
<table>
  <thead><tr><th>time</th><th>request</th><th>status</th><th class="num">statements</th><th class="num">db ms</th><th class="num">total ms</th><th>problems</th></tr></thead>
  <tbody id="requests"><tr><td colspan="7">No requests yet: use the API and they appear here.</td></tr></tbody>
</table>
<script>
const token = new URLSearchParams(location.search).get('token');
const headers = token ? { authorization: 'Bearer ' + token } : {};
const open = new Set();
const plans = new Map();
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function flaggedSql(request) {
  const flagged = new Set();
  for (const problem of request.problems) if (problem.sql) flagged.add(problem.sql);
  return flagged;
}

function render(requests) {
  const body = document.getElementById('requests');
  if (requests.length === 0) return;
  body.innerHTML = requests.map((request) => {
    const problems = request.problems.length
      ? request.problems.map((p) => '<span class="badge bad">' + escape(p.kind) + (p.times ? ' ×' + p.times : '') + '</span>').join(' ')
      : '<span class="badge ok">none</span>';
    const row = '<tr class="request" data-id="' + escape(request.id) + '"><td>' + escape(request.at.slice(11, 19)) +
      '</td><td><code>' + escape(request.method + ' ' + request.url) + '</code></td><td>' + request.status +
      '</td><td class="num">' + request.statements.length + (request.budget !== null ? ' / ' + request.budget : '') +
      '</td><td class="num">' + request.databaseMs.toFixed(2) + '</td><td class="num">' + request.totalMs.toFixed(2) +
      '</td><td>' + problems + '</td></tr>';
    if (!open.has(request.id)) return row;
    const flagged = flaggedSql(request);
    const statements = request.statements.map((statement, index) => {
      const key = request.id + ':' + index;
      const isFlagged = flagged.has(statement.sql) || flagged.has(statement.normalized);
      const plan = plans.get(key);
      return '<div class="statement' + (isFlagged ? ' flagged' : '') + '"><code>' + escape(statement.sql) + '</code>' +
        '<div class="meta">' + statement.durationMs.toFixed(2) + ' ms · ' + (statement.rows ?? '–') + ' rows · ' +
        statement.parameters.length + ' parameters' + (statement.transaction ? ' · transaction ' + statement.transaction : '') +
        (statement.error ? ' · error: ' + escape(statement.error) : '') +
        ' <button class="explain" data-key="' + key + '">EXPLAIN</button></div>' +
        (plan ? '<pre class="plan">' + escape(plan) + '</pre>' : '') + '</div>';
    }).join('');
    return row + '<tr class="statements"><td colspan="7">' + statements + '</td></tr>';
  }).join('');
}

let latest = [];
async function refresh() {
  const response = await fetch('/_inspector/requests', { headers });
  if (response.ok) { latest = await response.json(); render(latest); }
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button.explain');
  if (button) {
    const [requestId, index] = button.dataset.key.split(':');
    button.disabled = true;
    const response = await fetch('/_inspector/explain', {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ requestId, index: Number(index) }),
    });
    const result = await response.json();
    plans.set(button.dataset.key, response.ok ? result.verdict + '\\n\\n' + result.plan : 'EXPLAIN failed: ' + (result.error?.message ?? response.status));
    render(latest);
    return;
  }
  const row = event.target.closest('tr.request');
  if (row) {
    if (open.has(row.dataset.id)) open.delete(row.dataset.id); else open.add(row.dataset.id);
    render(latest);
  }
});
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
