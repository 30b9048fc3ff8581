// fsmchat view, a folder of chats: one row per run (newest first) with its
// status, spec, steps, illegal steps and last activity; a search and a status
// filter; a row opens that chat's page.
// Uses common.js (FSM): helpers and the page model.
(function () {
  'use strict';

  var model = FSM.model;
  var $ = FSM.$, el = FSM.el, clear = FSM.clear;
  var COLUMNS = [['name', 'chat'], ['status', 'status'], ['spec', 'spec'], ['steps', 'steps'], ['illegal', 'illegal steps'], ['last', 'last activity']];
  var hay = model.runs.map(function (r) {
    return [r.name, r.status, r.detail, r.spec, r.speakers.join(' ')].join(' ').toLowerCase();
  });

  function render() {
    var words = $('search').value.toLowerCase().split(/\s+/).filter(Boolean);
    var status = $('f-status').value;
    var table = $('runs');
    clear(table);
    var head = el('tr');
    COLUMNS.forEach(function (c) { head.appendChild(el('th', null, c[1])); });
    table.appendChild(head);
    var n = 0;
    model.runs.forEach(function (r, i) {
      if (status && r.status !== status) { return; }
      for (var j = 0; j < words.length; j++) { if (hay[i].indexOf(words[j]) < 0) { return; } }
      n += 1;
      var tr = el('tr', 'run status-row-' + r.status);
      tr.dataset.name = r.name;
      var link = el('a', 'run-link', r.name);
      if (r.href) { link.href = r.href; } else { tr.classList.add('unreadable'); }
      var first = el('td', 'text');
      first.appendChild(link);
      tr.appendChild(first);
      var state = el('td', 'text');
      state.appendChild(el('span', 'status status-' + r.status, r.status));
      state.appendChild(el('span', 'run-detail', r.detail));
      tr.appendChild(state);
      tr.appendChild(el('td', 'text', r.spec || '–'));
      tr.appendChild(el('td', 'num', r.steps === null ? '–' : r.steps));
      tr.appendChild(el('td', 'num' + (r.illegal ? ' bad' : ''), r.illegal === null ? '–' : r.illegal));
      tr.appendChild(el('td', 'text', r.last));
      if (r.href) { tr.addEventListener('click', function (ev) { if (ev.target.tagName !== 'A') { window.location.href = r.href; } }); }
      table.appendChild(tr);
    });
    $('count').textContent = n + ' of ' + FSM.plural(model.runs.length, 'chat');
  }

  function init() {
    var select = $('f-status');
    FSM.filterOptions(select, model.runs, 'status', 'every status');
    select.addEventListener('change', render);
    $('search').addEventListener('input', render);
    (model.skipped || []).forEach(function (s) { $('skipped').appendChild(el('div', 'note', 'skipped ' + s)); });
    render();
  }

  init();
}());
