/**
 * The console's only stylesheet and script, served from the admin listener itself: the admin
 * port is often on a closed network, so nothing is fetched from anywhere else.
 */

export const STYLESHEET = `
:root { --ink: #1d2733; --muted: #5b6876; --line: #d5dbe2; --bg: #f5f7f9; --card: #fff; --accent: #0b5cad;
  --ok: #1b7a3d; --warn: #9a6200; --bad: #b3261e; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg); font-size: 15px; line-height: 1.45; }
a { color: var(--accent); }
code, pre, .ref { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
pre { background: var(--bg); border: 1px solid var(--line); padding: 0.6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4em 1em; padding: 0.6em 1em; background: var(--ink); color: #fff; }
.top a { color: #fff; text-decoration: none; }
.top .brand { font-weight: 600; margin-right: auto; }
.top nav { display: flex; flex-wrap: wrap; gap: 0.2em 0.9em; }
.top nav a[aria-current="page"] { text-decoration: underline; text-underline-offset: 4px; }
.signout button { background: transparent; color: #fff; border-color: #8795a3; }
main { max-width: 1200px; margin: 0 auto; padding: 1em; }
.foot { max-width: 1200px; margin: 0 auto; padding: 0 1em 2em; color: var(--muted); font-size: 0.85em; }
h1 { font-size: 1.4em; margin: 0.2em 0 0.6em; overflow-wrap: anywhere; }
h2 { font-size: 1.1em; margin: 0; }
main > h2 { margin: 1.4em 0 0.4em; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
button { font: inherit; padding: 0.45em 0.9em; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; min-height: 2.5em; }
button.quiet { background: var(--card); color: var(--accent); padding: 0.25em 0.7em; min-height: 2em; }
button:disabled { opacity: 0.6; cursor: progress; }
input, select { font: inherit; padding: 0.4em; border: 1px solid var(--line); border-radius: 4px; background: #fff; width: 100%; min-height: 2.5em; }
label { display: block; font-weight: 600; font-size: 0.9em; margin-bottom: 0.15em; }
.search, .login, .bulk { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.8em; margin-bottom: 1em; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(11em, 1fr)); gap: 0.6em; margin-bottom: 0.6em; }
.login { max-width: 24em; display: grid; gap: 0.5em; }
.bulk { display: flex; flex-wrap: wrap; align-items: center; gap: 0.6em; }
.reset { margin-left: 0.8em; }
.hint { color: var(--muted); font-size: 0.88em; }
.empty { padding: 1em; background: var(--card); border: 1px dashed var(--line); }
.notice, .problem { padding: 0.6em 0.8em; border-radius: 4px; }
.notice { background: #e6f2ea; border: 1px solid #9fcdb0; }
.problem { background: #fbe9e7; border: 1px solid #e4a59e; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 0.45em 0.6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.85em; color: var(--muted); }
caption { text-align: left; padding: 0.3em 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status, .state, .tag, .health { display: inline-block; padding: 0.05em 0.45em; border-radius: 3px; font-size: 0.85em; font-weight: 600; border: 1px solid var(--line); }
.status.big { font-size: 1.05em; }
.s-SUCCESS, .st-delivered, .st-done, .h-ok { color: var(--ok); border-color: #9fcdb0; background: #eef7f1; }
.s-PENDING, .st-pending, .st-active, .h-quiet { color: var(--warn); border-color: #e2c68f; background: #fdf6e7; }
.s-FAILED, .s-CANCELED, .s-NOT_FOUND, .st-dead, .st-expired, .h-failing, .h-backlog, .alarm { color: var(--bad); border-color: #e4a59e; background: #fdf0ee; }
.s-REFUNDED { color: #5b3fa0; border-color: #c4b5e8; background: #f4f0fb; }
.code-ok { color: var(--ok); font-weight: 600; } .code-bad { color: var(--bad); font-weight: 600; }
.summary, .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(12em, 1fr)); gap: 0.4em 1em; margin: 0 0 1em; }
.summary { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.8em; }
dt { font-size: 0.8em; color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.timeline { list-style: none; padding: 0; margin: 0; }
.event { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; padding: 0.8em; margin-bottom: 1em; }
.event.stale { border-left-color: var(--muted); } .event.reversal { border-left-color: var(--bad); }
.event-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 0.5em; margin-bottom: 0.5em; }
.seq { color: var(--muted); }
.report { margin: 0 0 0.4em; overflow-wrap: anywhere; } .method { font-weight: 600; }
.delivery { border-top: 1px solid var(--line); padding-top: 0.5em; margin-top: 0.5em; }
.attempts { margin-top: 0.4em; }
code.body, code.url { overflow-wrap: anywhere; }
details { margin: 0.4em 0; } summary { cursor: pointer; color: var(--accent); }
.kv th { width: 12em; }
form.inline { display: inline; margin: 0; }
.pager { display: flex; gap: 1.2em; margin: 1em 0; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 640px) {
  main { padding: 0.6em; }
  table.list thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.list, table.list tbody, table.list tr, table.list td { display: block; width: 100%; }
  table.list tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: 0.6em; padding: 0.3em 0; background: var(--card); }
  table.list td { border: 0; padding: 0.2em 0.6em; display: grid; grid-template-columns: 7.5em 1fr; gap: 0.5em; text-align: left; }
  table.list td::before { content: attr(data-label); color: var(--muted); font-size: 0.85em; }
  td.num { text-align: left; }
  .kv th { width: auto; }
}
`;

/**
 * Everything works without it. With it: a timeline with pending deliveries refreshes itself
 * every two seconds (for up to two minutes), and a button is disabled once its form is sent,
 * so a double tap does not replay twice.
 */
export const SCRIPT = `
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.method !== 'post') return;
    setTimeout(function () {
      form.querySelectorAll('button').forEach(function (button) { button.disabled = true; });
    }, 0);
  });
  var rounds = 0;
  function refresh() {
    var section = document.getElementById('timeline');
    if (!section || !section.hasAttribute('data-refresh') || rounds++ >= 60) return;
    fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('timeline');
        if (!fresh) return;
        var open = Array.prototype.map.call(section.querySelectorAll('details[open]'), function (d) { return d.parentElement && d.parentElement.id; });
        section.replaceWith(fresh);
        fresh.querySelectorAll('details').forEach(function (d) { if (open.indexOf(d.parentElement && d.parentElement.id) !== -1) d.open = true; });
      })
      .catch(function () {})
      .then(function () { setTimeout(refresh, 2000); });
  }
  setTimeout(refresh, 2000);
})();
`;
