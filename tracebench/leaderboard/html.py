# ruff: noqa: E501  (the inline CSS and JavaScript below keep one rule or statement group a line)
"""Self-contained static HTML: ``index.html`` (sortable table, model panel) and one page per model (samples).

No network: CSS and JavaScript are inline, data is embedded as JSON in a ``<script type="application/json">``
element (with ``<``, ``>`` and ``&`` escaped, so no text can close the element), and the scripts insert
every string with ``textContent``, never as markup: a model named ``<script>alert(1)</script>`` shows as
that text. Plots are referenced as local files under ``plots/``.
"""

from __future__ import annotations

import json
from typing import Any

from tracebench.leaderboard.build import Leaderboard, model_slug
from tracebench.leaderboard.render import NORMALISER_DOC, OVERALL_DOC, entry_dict, to_document
from tracebench.leaderboard.views import view_markdown

CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--head:#f2f4f8;--accent:#2457c5;--ok:#1a7f37;--bad:#c0262d}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0;padding:20px 28px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:22px 0 8px}h3{font-size:15px;margin:14px 0 6px}
p.note,.muted{color:var(--muted)}
.controls{display:flex;gap:16px;align-items:center;margin:12px 0;flex-wrap:wrap}
select{font:inherit;padding:3px 6px}
table{border-collapse:collapse}
table.board{width:100%;font-variant-numeric:tabular-nums}
table.board th,table.board td{border-bottom:1px solid var(--line);padding:5px 7px;text-align:right;white-space:nowrap}
table.board th{background:var(--head);cursor:pointer;user-select:none;position:sticky;top:0}
table.board th[aria-sort=ascending]::after{content:" \\25B2"}table.board th[aria-sort=descending]::after{content:" \\25BC"}
table.board td.model,table.board th.model{text-align:left;white-space:normal;min-width:170px;max-width:340px}
.board-wrap{overflow-x:auto}
table.board tr:hover td{background:#f7f9fc}
.ci{color:var(--muted);font-size:11px;display:block}
button.model-link{all:unset;color:var(--accent);cursor:pointer;text-decoration:underline;word-break:break-all}
#panel{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:16px 0;background:#fbfcfe}
#panel[hidden]{display:none}
.tasks{display:flex;flex-wrap:wrap;gap:18px}
.task-card{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:#fff}
table.tt td,table.tt th{border:1px solid var(--line);padding:6px 10px;text-align:center;font-variant-numeric:tabular-nums}
table.tt th{background:var(--head);font-weight:600}
.plots{display:flex;flex-wrap:wrap;align-items:flex-start;gap:8px}
.plots img{max-width:100%;border:1px solid var(--line)}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid var(--line);padding:8px;border-radius:4px;margin:4px 0}
.sample{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:10px 0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#e8ecf3;margin-left:6px}
.q-both_correct{background:#d7f0dd}.q-neither{background:#f8d9db}.q-trace_only{background:#fbeac7}.q-answer_only{background:#dfe7fb}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}
ul.facts{margin:2px 0 2px 18px;padding:0}
""".strip()

INDEX_JS = r"""
(function(){
const D = JSON.parse(document.getElementById('lb-data').textContent);
const cols = D.columns; const byName = {}; cols.forEach(c => byName[c.name] = c);
let task = D.tasks[0]; let sortCol = D.settings.sort; let asc = !byName[sortCol].higher_is_better;
const sel = document.getElementById('task-select');
D.tasks.forEach(t => { const o = document.createElement('option'); o.value = t; o.textContent = t; sel.appendChild(o); });
sel.addEventListener('change', () => { task = sel.value; render(); });
const slugs = {}; D.models.forEach(m => slugs[m.id] = m.slug);
function fmt(v, name){ if (v === null || v === undefined) return '\u2013';
  if (name === 'chi2_p') return v === 0 ? '< 1e-300' : (v < 1e-3 ? v.toExponential(2) : v.toFixed(3));
  if (name === 'n') return String(v); return v.toFixed(3); }
function val(e, name){ return name === 'n' ? e.n : e.values[name]; }
function visibleCols(){ const es = D.entries.filter(e => e.task === task);
  const direct = es.length > 0 && es.every(e => e.variant === 'direct');
  return cols.filter(c => !(direct && c.name !== 'answer_acc' && c.name !== 'n')); }
function render(){
  const vc = visibleCols(); const head = document.getElementById('board-head'); head.textContent = '';
  if (!vc.some(c => c.name === sortCol)) { sortCol = 'answer_acc'; asc = false; }
  const tr = document.createElement('tr');
  const mk = (text, cls, col) => { const th = document.createElement('th'); th.textContent = text; if (cls) th.className = cls;
    if (col) { th.dataset.col = col; th.title = 'sort by ' + col; th.addEventListener('click', () => {
      if (sortCol === col) asc = !asc; else { sortCol = col; asc = !byName[col].higher_is_better; } render(); });
      if (col === sortCol) th.setAttribute('aria-sort', asc ? 'ascending' : 'descending'); }
    tr.appendChild(th); };
  mk('#', null, null); mk('model', 'model', null); vc.forEach(c => mk(c.title, null, c.name)); head.appendChild(tr);
  const rows = D.entries.filter(e => e.task === task).slice();
  rows.sort((a, b) => { const x = val(a, sortCol), y = val(b, sortCol);
    const xn = x === null || x === undefined, yn = y === null || y === undefined;
    if (xn || yn) return xn && yn ? (a.model < b.model ? -1 : 1) : (xn ? 1 : -1);
    if (x !== y) return asc ? x - y : y - x; return a.model < b.model ? -1 : (a.model > b.model ? 1 : 0); });
  const body = document.getElementById('board-body'); body.textContent = '';
  rows.forEach((e, i) => { const r = document.createElement('tr'); r.dataset.model = e.model;
    const rank = document.createElement('td'); rank.textContent = String(i + 1); r.appendChild(rank);
    const m = document.createElement('td'); m.className = 'model'; const b = document.createElement('button');
    b.className = 'model-link'; b.textContent = e.model; b.addEventListener('click', () => openPanel(e.model)); m.appendChild(b); r.appendChild(m);
    vc.forEach(c => { const td = document.createElement('td'); td.dataset.col = c.name; td.textContent = fmt(val(e, c.name), c.name);
      const ci = e.ci[c.name]; if (ci && ci[0] !== null) { const s = document.createElement('span'); s.className = 'ci';
        s.textContent = '[' + ci[0].toFixed(3) + ', ' + ci[1].toFixed(3) + ']'; td.appendChild(s); }
      r.appendChild(td); });
    body.appendChild(r); });
  document.getElementById('board-caption').textContent = task + ': ' + rows.length + ' models, sorted by ' + sortCol + (asc ? ' (ascending)' : ' (descending)');
}
function cell(text, cls){ const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }
function openPanel(model){
  const p = document.getElementById('panel'); p.hidden = false;
  document.getElementById('panel-title').textContent = model;
  const link = document.getElementById('panel-samples'); link.href = 'models/' + slugs[model] + '.html';
  const box = document.getElementById('panel-tasks'); box.textContent = '';
  D.tasks.forEach(t => { const e = D.entries.find(x => x.task === t && x.model === model); if (!e) return;
    const card = document.createElement('div'); card.className = 'task-card'; card.dataset.task = t;
    const h = document.createElement('h3'); h.textContent = t; card.appendChild(h);
    if (e.table) { const tb = e.table, n = Math.max(1, tb.n11 + tb.n10 + tb.n01 + tb.n00);
      const tab = document.createElement('table'); tab.className = 'tt';
      const r0 = document.createElement('tr'); r0.appendChild(cell('', null));
      [['th','answer right'],['th','answer wrong']].forEach(x => { const th = document.createElement('th'); th.textContent = x[1]; r0.appendChild(th); }); tab.appendChild(r0);
      [['trace right', tb.n11, tb.n10], ['trace wrong', tb.n01, tb.n00]].forEach(rw => { const r = document.createElement('tr');
        const th = document.createElement('th'); th.textContent = rw[0]; r.appendChild(th);
        [rw[1], rw[2]].forEach(k => { const td = cell(k + ' (' + (100 * k / n).toFixed(1) + '%)', 'cell');
          td.style.background = 'rgba(36,87,197,' + (0.08 + 0.6 * k / n).toFixed(3) + ')'; r.appendChild(td); });
        tab.appendChild(r); });
      card.appendChild(tab);
      const s = document.createElement('div'); s.className = 'muted stats';
      s.textContent = 'answer_acc ' + fmt(e.values.answer_acc) + ' \u00b7 trace_acc ' + fmt(e.values.trace_acc) + ' \u00b7 mismatch ' + fmt(e.values.mismatch_rate) + ' \u00b7 phi ' + fmt(e.values.phi) + ' \u00b7 chi\u00b2 ' + fmt(e.values.chi2) + ', p = ' + fmt(e.values.chi2_p, 'chi2_p') + ' \u00b7 n ' + e.n;
      card.appendChild(s);
    } else { const s = document.createElement('div'); s.className = 'muted stats'; s.textContent = 'answer_acc ' + fmt(e.values.answer_acc) + ' \u00b7 n ' + e.n; card.appendChild(s); }
    box.appendChild(card); });
  p.scrollIntoView();
}
document.getElementById('panel-close').addEventListener('click', () => { document.getElementById('panel').hidden = true; });
render();
window.tracebenchLeaderboard = {openPanel: openPanel, render: render};
})();
"""

MODEL_JS = r"""
(function(){
const D = JSON.parse(document.getElementById('model-data').textContent);
const tsel = document.getElementById('task-filter'), qsel = document.getElementById('quadrant-filter');
Object.keys(D.samples).forEach(t => { const o = document.createElement('option'); o.value = t; o.textContent = t; tsel.appendChild(o); });
function el(tag, text, cls){ const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = text; if (cls) e.className = cls; return e; }
function verdict(ok){ return el('span', ok ? '\u2713 right' : '\u2717 wrong', ok ? 'ok' : 'bad'); }
function render(){
  const box = document.getElementById('samples'); box.textContent = ''; let shown = 0, total = 0;
  Object.keys(D.samples).forEach(t => { if (tsel.value && tsel.value !== t) return;
    D.samples[t].forEach(s => { total += 1; if (qsel.value && qsel.value !== s.quadrant) return; shown += 1;
      const card = el('div', null, 'sample'); card.dataset.quadrant = s.quadrant; card.dataset.task = t;
      const h = el('div'); h.appendChild(el('strong', t + ' #' + s.doc_id)); h.appendChild(el('span', s.quadrant, 'badge q-' + s.quadrant));
      h.appendChild(el('span', ' ' + (s.id || ''), 'muted')); card.appendChild(h);
      card.appendChild(el('div', 'Question: ' + s.question, 'question'));
      const gold = el('div', null, 'gold'); gold.appendChild(el('strong', 'Gold steps'));
      s.gold.forEach((g, i) => { const v = s.steps[i];
        const row = el('div'); row.appendChild(el('span', (i + 1) + '. ' + g.kind + ': '));
        if (g.kind === 'classification') row.appendChild(el('code', g.label));
        else { const ul = el('ul', null, 'facts'); (g.facts || []).forEach(f => ul.appendChild(el('li', f))); row.appendChild(ul); }
        if (v) { row.appendChild(el('span', ' strict: ', 'muted')); row.appendChild(verdict(v.strict)); row.appendChild(el('span', ' paper: ', 'muted')); row.appendChild(verdict(v.paper)); }
        gold.appendChild(row); });
      gold.appendChild(el('div', 'Answer(s): ' + s.answers.join(' | '))); card.appendChild(gold);
      card.appendChild(el('strong', 'Model output')); card.appendChild(el('pre', s.output, 'output'));
      const parsed = el('div', null, 'parsed');
      parsed.appendChild(el('span', 'parsed label: ' + (s.parsed.label === null ? '\u2013' : s.parsed.label) + ' \u00b7 facts: ' + (s.parsed.facts === null ? '\u2013' : JSON.stringify(s.parsed.facts)) + ' \u00b7 answer: ' + (s.parsed.answer === null ? '\u2013' : s.parsed.answer) + ' \u00b7 parse: ' + s.parsed.status + ' \u00b7 answer '));
      parsed.appendChild(verdict(s.answer_ok));
      if (s.trace_ok !== null && s.trace_ok !== undefined) { parsed.appendChild(el('span', ' \u00b7 trace ')); parsed.appendChild(verdict(s.trace_ok)); }
      card.appendChild(parsed); box.appendChild(card); }); });
  document.getElementById('count').textContent = 'showing ' + shown + ' of ' + total + ' samples';
}
tsel.addEventListener('change', render); qsel.addEventListener('change', render); render();
})();
"""


def embed_json(data: Any) -> str:
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>``, ``&`` escaped (no break-out)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def html_escape(text: str) -> str:
    """Escape text for HTML content and attribute values."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _page(title: str, body: str, data_id: str, data: Any, script: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
        f"<title>{html_escape(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n{body}\n"
        f'<script type="application/json" id="{data_id}">{embed_json(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


PLOTS = (("scatter", "answer_acc vs trace_acc"), ("heatmaps", "trace x answer 2x2"), ("mismatch", "mismatch"))


def render_index(board: Leaderboard, plots: bool = True) -> str:
    """``index.html``: the sortable table, the model panel, plots, views and skipped input."""
    doc = to_document(board)
    views = "".join(
        f"<h2>{html_escape(name)}</h2>\n<pre>{html_escape(text)}</pre>\n" for name, text in view_markdown(board)
    )
    issues = ""
    if board.issues:
        items = "".join(f"<li>{html_escape(str(i))}</li>" for i in board.issues)
        issues = f'<h2>Skipped input</h2>\n<ul id="issues">{items}</ul>\n'
    plot_html = ""
    if plots:
        imgs = "".join(
            f'<a href="plots/{name}.svg"><img src="plots/{name}.png" alt="{html_escape(alt)}"></a>'
            for name, alt in PLOTS
        )
        plot_html = f'<h2>Plots</h2>\n<div class="plots">{imgs}</div>\n'
    body = (
        "<h1>tracebench leaderboard</h1>\n"
        f'<p class="note">{len(board.models)} models. Values with {int(doc["settings"]["ci_level"] * 100)}% '
        f"bootstrap intervals ({board.iters} resamples, seed {board.seed}) where samples were logged. "
        "chi\u00b2 p: chi-square test of independence of trace and answer correctness. "
        f"{html_escape(OVERALL_DOC)} Chance normalisation: {html_escape(NORMALISER_DOC)} "
        "Click a column to sort, a model to open its panel.</p>\n"
        '<div class="controls"><label>Task <select id="task-select"></select></label>'
        '<span id="board-caption" class="muted"></span></div>\n'
        '<section id="panel" hidden><h2 id="panel-title"></h2>'
        '<p><a id="panel-samples" href="#">Samples: question, gold steps, model trace, verdicts \u2192</a> '
        '<button id="panel-close" type="button">close</button></p>'
        '<div id="panel-tasks" class="tasks"></div></section>\n'
        '<div class="board-wrap"><table class="board" id="board"><thead id="board-head"></thead>'
        '<tbody id="board-body"></tbody></table></div>\n'
        f"{plot_html}{views}{issues}"
    )
    return _page("tracebench leaderboard", body, "lb-data", doc, INDEX_JS)


def model_page_data(board: Leaderboard, model_id: str) -> dict[str, Any]:
    """The data embedded in a model's page: its entries (no ranks: they depend on other models), samples."""
    entries = board.by_model(model_id)
    return {
        "model": model_id,
        "entries": [{k: v for k, v in entry_dict(e).items() if k != "rank"} for e in entries],
        "samples": {e.task: board.drill[(model_id, e.task)] for e in entries if (model_id, e.task) in board.drill},
    }


def render_model_page(board: Leaderboard, model_id: str) -> str:
    """``models/<slug>.html``: one model's samples, filterable by task and quadrant."""
    data = model_page_data(board, model_id)
    quads = "".join(
        f'<option value="{q}">{q}</option>'
        for q in ("both_correct", "trace_only", "answer_only", "neither", "answer_right", "answer_wrong")
    )
    body = (
        f'<p><a href="../index.html">\u2190 leaderboard</a></p>\n<h1 id="model-title">{html_escape(model_id)}</h1>\n'
        '<p class="note">Drill-down samples per task (at most the configured number per task, spread over the '
        "quadrants, in document order). Verdicts: strict and paper scoring profiles per gold step.</p>\n"
        '<div class="controls"><label>Task <select id="task-filter"><option value="">all</option></select></label>'
        f'<label>Quadrant <select id="quadrant-filter"><option value="">all</option>{quads}</select></label>'
        '<span id="count" class="muted"></span></div>\n<div id="samples"></div>\n'
    )
    return _page(f"{model_id} \u2013 tracebench", body, "model-data", data, MODEL_JS)


def model_page_name(model_id: str) -> str:
    """Relative path of a model's page."""
    return f"models/{model_slug(model_id)}.html"
