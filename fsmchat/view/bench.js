// fsmchat view, a bench folder as a dashboard: the results table (a row picks
// its cell), filters and a search over the trials, a paged trial list, and the
// scenario's diagram in its own pane (it never scrolls away) showing the
// edge heat-map of every trial the filters keep, illegal moves in red with
// their counts, and the chosen trial's path on top.
// Uses common.js (FSM): helpers, zoom and pan, the page model.
(function () {
  'use strict';

  var PAGE = 50;  // trials per page of the list
  var model = FSM.model;
  var $ = FSM.$, el = FSM.el, clear = FSM.clear, attrSel = FSM.attrSel, kv = FSM.kv;
  var SVG = 'http://www.w3.org/2000/svg';
  var shown = [];    // indexes of the trials the filters keep
  var page = 0;
  var chosen = null; // index of the chosen trial
  var hay = model.trials.map(function (t) {
    return [t.scenario, t.mode, t.model, 'trial ' + t.trial, t.outcome, t.speakers.join(' '), t.error || ''].join(' ').toLowerCase();
  });

  function fmtCell(value, fmt) {
    if (value === null || value === undefined) { return '–'; }
    if (fmt === 'pct') { return (value * 100).toFixed(0) + ' %'; }
    if (fmt === 'num2') { return Number(value).toFixed(2); }
    if (fmt === 'num1') { return Number(value).toFixed(1); }
    if (fmt === 'num0') { return Number(value).toFixed(0); }
    return String(value);
  }

  function pathRow(label, names, divergence, cls) {
    var row = el('div', 'path ' + cls);
    row.appendChild(el('span', 'path-label', label));
    names.forEach(function (n, i) {
      var chip = el('span', 'chip', n);
      if (divergence !== null && i === divergence) { chip.classList.add('diverge'); }
      else if (divergence !== null && i > divergence) { chip.classList.add('after'); }
      row.appendChild(chip);
    });
    if (divergence !== null && divergence >= names.length) {
      row.appendChild(el('span', 'chip diverge missing', '(ends)'));
    }
    return row;
  }

  function title(t) {
    var what = t.outcome === 'exact' ? 'exact' : t.outcome === 'diverged' ? 'diverged at step ' + t.divergence : t.outcome;
    return t.scenario + ' · ' + t.mode + ' · ' + t.model + ' · trial ' + t.trial + ' · ' + what;
  }

  // ------------------------------------------------------------ filters

  var FILTERS = ['scenario', 'mode', 'model', 'outcome'];

  function filterBar() {
    FILTERS.forEach(function (key) {
      var select = $('f-' + key);
      FSM.filterOptions(select, model.trials, key, 'all ' + key + 's');
      select.addEventListener('change', function () { apply(true); });
    });
    var typing = null;  // filter once typing pauses, not on every key
    $('search').addEventListener('input', function () {
      clearTimeout(typing);
      typing = setTimeout(function () { apply(true); }, 120);
    });
    $('prev-page').addEventListener('click', function () { page -= 1; renderList(); });
    $('next-page').addEventListener('click', function () { page += 1; renderList(); });
  }

  function wanted() {
    var w = {};
    FILTERS.forEach(function (key) { w[key] = $('f-' + key).value; });
    w.words = $('search').value.toLowerCase().split(/\s+/).filter(Boolean);
    return w;
  }

  function keep(t, i, w) {
    for (var k = 0; k < FILTERS.length; k++) {
      var key = FILTERS[k];
      if (w[key] && t[key] !== w[key]) { return false; }
    }
    for (var j = 0; j < w.words.length; j++) {
      if (hay[i].indexOf(w.words[j]) < 0) { return false; }
    }
    return true;
  }

  // Filter the trials; keep the chosen one if it still passes, else choose the
  // first non-exact one (the interesting kind), else the first.
  function apply(resetPage) {
    var began = performance.now();
    var w = wanted();
    shown = [];
    model.trials.forEach(function (t, i) { if (keep(t, i, w)) { shown.push(i); } });
    if (resetPage) { page = 0; }
    $('count').textContent = shown.length + ' of ' + FSM.plural(model.trials.length, 'trial');
    document.querySelectorAll('#results tr.cell').forEach(function (tr) {
      tr.classList.toggle('active', tr.dataset.scenario === w.scenario && tr.dataset.mode === w.mode && tr.dataset.model === w.model);
    });
    if (chosen === null || shown.indexOf(chosen) < 0) {
      chosen = null;
      for (var k = 0; k < shown.length && chosen === null; k++) {
        if (model.trials[shown[k]].outcome !== 'exact') { chosen = shown[k]; }
      }
      if (chosen === null && shown.length) { chosen = shown[0]; }
    }
    renderList();
    draw();
    // How long filtering and redrawing took (ms), for benchmarks and the curious.
    $('count').dataset.ms = (performance.now() - began).toFixed(1);
    $('count').dataset.query = $('search').value;  // the search these results answer
  }

  function renderList() {
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.max(0, Math.min(pages - 1, page));
    var list = $('trials');
    clear(list);
    shown.slice(page * PAGE, page * PAGE + PAGE).forEach(function (i) {
      var t = model.trials[i];
      var li = el('li', 'trial ' + (t.exact ? 'exact' : 'diverged') + ' outcome-' + t.outcome.replace(' ', '-'));
      li.dataset.trial = i;
      if (i === chosen) { li.classList.add('active'); }
      li.appendChild(el('div', 'trial-title', title(t)));
      li.appendChild(pathRow('run', t.speakers, t.divergence, 'run'));
      li.appendChild(pathRow('truth', t.truth, t.divergence, 'truth'));
      li.addEventListener('click', function () { chosen = i; renderList(); draw(); });
      list.appendChild(li);
    });
    if (!shown.length) { list.appendChild(el('li', 'empty', 'No trial matches the filters.')); }
    $('page-label').textContent = shown.length ? 'page ' + (page + 1) + ' of ' + pages : '';
    $('prev-page').disabled = page === 0;
    $('next-page').disabled = page >= pages - 1;
  }

  // ------------------------------------------------------------ diagram

  function scenarioShown() {
    if (chosen !== null) { return model.trials[chosen].scenario; }
    var w = $('f-scenario').value;
    if (w) { return w; }
    return shown.length ? model.trials[shown[0]].scenario : null;
  }

  function heatLabel(g, text) {
    var label = g.querySelector('text.fsm-heat-label');
    if (!label) {
      var path = g.querySelector('path');
      if (!path || !path.getTotalLength) { return; }
      var p = path.getPointAtLength(path.getTotalLength() / 2);
      label = document.createElementNS(SVG, 'text');
      label.setAttribute('class', 'fsm-heat-label');
      label.setAttribute('x', String(p.x));
      label.setAttribute('y', String(p.y - 3));
      label.setAttribute('text-anchor', 'middle');
      g.appendChild(label);
    }
    label.textContent = text;
  }

  // The heat-map of the trials shown (of one scenario), then the chosen trial.
  function draw() {
    var name = scenarioShown();
    var holder = null;
    document.querySelectorAll('.bench-diagram').forEach(function (d) {
      var on = d.dataset.scenario === name;
      d.hidden = !on;
      if (on) { holder = d; }
    });
    renderTrial();
    if (!holder) { return; }
    FSM.zoomable(holder);
    var counts = {};
    var moves = {};
    var n = 0;
    shown.forEach(function (i) {
      var t = model.trials[i];
      if (t.scenario !== name) { return; }
      n += 1;
      t.edges.forEach(function (e) { if (e !== null) { counts[e] = (counts[e] || 0) + 1; } });
      t.moves.forEach(function (m) { var k = m[0] + '\u0000' + m[1]; moves[k] = (moves[k] || 0) + 1; });
    });
    var most = 1;
    Object.keys(counts).forEach(function (k) { most = Math.max(most, counts[k]); });
    holder.querySelectorAll('g.fsm-edge').forEach(function (g) {
      g.classList.remove('fsm-visited', 'fsm-current', 'fsm-trial', 'fsm-heat', 'fsm-cold');
      var c;
      if (g.dataset.illegal) {
        c = moves[g.dataset.src + '\u0000' + g.dataset.dst] || 0;
        var text = g.querySelector('text:not(.fsm-heat-label)');
        if (text) { text.textContent = 'illegal ×' + c; }
      } else {
        c = counts[g.dataset.edge] || 0;
        heatLabel(g, c ? '×' + c : '');
      }
      g.classList.add(c ? 'fsm-heat' : 'fsm-cold');
      g.dataset.count = String(c);
      g.style.setProperty('--heat', String(c / most));
    });
    var t = chosen === null ? null : model.trials[chosen];
    if (t && t.scenario === name) {
      t.edges.forEach(function (e, i) {
        var g = e === null ? null : holder.querySelector(attrSel('data-edge', e));
        if (!g) { return; }
        g.classList.add(t.divergence !== null && i + 1 === t.divergence ? 'fsm-current' : 'fsm-trial');
      });
      t.moves.forEach(function (m) {
        var g = holder.querySelector('[data-illegal]' + attrSel('data-src', m[0]) + attrSel('data-dst', m[1]));
        if (g) { g.classList.add('fsm-current'); }
      });
    }
    var agg = $('aggregate');
    clear(agg);
    var w = wanted();
    var cell = [w.mode || 'every mode', w.model || 'every model', w.outcome || 'every outcome'].join(' · ');
    agg.appendChild(el('div', 'agg-title', name + ': ' + FSM.plural(n, 'trial') + ' (' + cell + ')'));
    var illegal = Object.keys(moves).reduce(function (s, k) { return s + moves[k]; }, 0);
    agg.appendChild(el('div', 'agg-legend', 'blue: how often each edge was taken (×N); red: illegal moves' + (illegal ? ' (' + illegal + ')' : ' (none)') + '; orange: the chosen trial'));
    var props = (model.specs[name] || {}).properties || [];
    props.forEach(function (p) {
      var row = el('div', 'property');
      row.appendChild(el('span', 'property-name', p.name));
      row.appendChild(el('code', 'property-text', p.holds));
      agg.appendChild(row);
    });
  }

  function renderTrial() {
    var info = $('trial-info');
    clear(info);
    if (chosen === null) { info.appendChild(el('p', 'empty', 'No trial chosen.')); return; }
    var t = model.trials[chosen];
    info.appendChild(el('h3', null, t.scenario + ' · ' + t.mode + ' · ' + t.model + ' · trial ' + t.trial));
    kv(info, 'result', t.exact ? 'exact: the ground-truth path' : 'diverged at step ' + t.divergence, t.exact ? '' : 'bad');
    kv(info, 'outcome', t.outcome, t.outcome === 'exact' ? '' : 'bad');
    kv(info, 'illegal moves', t.illegal, t.illegal ? 'bad' : '');
    kv(info, 'ended', t.finished || '–');
    if (t.error) { kv(info, 'error', t.error, 'bad'); }
  }

  // ------------------------------------------------------------ the page

  function init() {
    var meta = $('bench-meta');
    var cfg = model.config;
    kv(meta, 'source', model.source);
    if (model.command) { kv(meta, 'command', model.command); }
    kv(meta, 'trials per cell', cfg.trials === undefined ? '–' : cfg.trials);
    if (model.seconds !== null && model.seconds !== undefined) { kv(meta, 'took', Number(model.seconds).toFixed(1) + ' s'); }
    var table = $('results');
    var head = el('tr');
    model.columns.forEach(function (c) { head.appendChild(el('th', null, c[1])); });
    table.appendChild(head);
    model.cells.forEach(function (cell) {
      var tr = el('tr', 'cell');
      tr.dataset.scenario = cell.scenario;
      tr.dataset.mode = cell.mode;
      tr.dataset.model = cell.model;
      tr.title = 'show this cell\'s trials';
      model.columns.forEach(function (c) {
        tr.appendChild(el('td', c[2] === 'text' ? 'text' : 'num', fmtCell(cell[c[0]], c[2])));
      });
      tr.addEventListener('click', function () {
        $('f-scenario').value = cell.scenario;
        $('f-mode').value = cell.mode;
        $('f-model').value = cell.model;
        apply(true);
      });
      table.appendChild(tr);
    });
    var goals = $('goals');
    model.goals.forEach(function (g) {
      var mark = g.ok === true ? '✓' : g.ok === false ? '✗' : '–';
      goals.appendChild(el('div', 'goal ' + (g.ok === false ? 'bad' : ''), mark + ' ' + g.goal + ': ' + g.detail));
    });
    filterBar();
    apply(true);
    document.body.dataset.readyMs = performance.now().toFixed(0);  // since navigation
  }

  init();
}());
