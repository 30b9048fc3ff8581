// fsmchat view, one chat: the diagram with the path lit, the step, the timeline.
// Uses common.js (FSM): helpers, zoom and pan, the page model.
(function () {
  'use strict';

  var LONG = 400;  // characters after which a message is collapsed
  var model = FSM.model;
  var current = 0;
  var $ = FSM.$, el = FSM.el, clear = FSM.clear, attrSel = FSM.attrSel, kv = FSM.kv;

  function fmtTokens(t) {
    if (!t) { return ''; }
    return t.prompt + ' prompt + ' + t.completion + ' completion tokens';
  }

  function fmtLatency(s) {
    if (s === null || s === undefined) { return ''; }
    return s < 1 ? (s * 1000).toFixed(0) + ' ms' : s.toFixed(2) + ' s';
  }

  // A message, collapsed when long (a button shows all of it).
  function messageBox(text) {
    var box = el('div', 'message');
    var body = el('pre', 'message-text', text === '' ? '(empty message)' : text);
    box.appendChild(body);
    if (text.length > LONG) {
      box.classList.add('collapsed');
      var more = el('button', 'more', 'show all (' + text.length + ' characters)');
      more.type = 'button';
      more.addEventListener('click', function () {
        var collapsed = box.classList.toggle('collapsed');
        more.textContent = collapsed ? 'show all (' + text.length + ' characters)' : 'collapse';
      });
      box.appendChild(more);
    }
    return box;
  }

  function status(m) {
    var node = $('status');
    if (!node) { return; }
    clear(node);
    var text = m.status + (m.detail ? ': ' + m.detail : '');
    node.textContent = text;
    node.className = 'status status-' + m.status;
  }

  // ----------------------------------------------------------------- chat

  function svgRoot() { return document.querySelector('#diagram svg'); }

  function edgeName(index) {
    var e = model.spec.edges[index];
    if (!e) { return 'edge ' + index; }
    return 'transitions[' + index + '] ' + e.source + ' → ' + e.target;
  }

  function renderSummary() {
    var s = model.summary;
    var node = $('summary');
    clear(node);
    kv(node, 'messages', s.messages);
    kv(node, 'illegal steps', s.illegal, s.illegal ? 'bad' : '');
    if (s.unchecked) { kv(node, 'not checkable offline', s.unchecked); }
    kv(node, 'model calls', s.calls + (s.cache_hits ? ' (+' + s.cache_hits + ' cache hits)' : ''));
    if (s.refused) { kv(node, 'refused answers', s.refused, 'bad'); }
    kv(node, 'routing tokens', s.prompt_tokens + ' prompt, ' + s.completion_tokens + ' completion');
    var notes = $('notes');
    clear(notes);
    model.notes.forEach(function (n) { notes.appendChild(el('div', 'note', n)); });
    renderProperties();
  }

  // The spec's properties: name and text; with view --prove, each verdict and
  // the counterexample (or witness) path SPIN found.
  function renderProperties() {
    var node = $('properties');
    clear(node);
    var rows = model.properties || [];
    if (!rows.length) { return; }
    node.appendChild(el('h3', null, 'properties'));
    rows.forEach(function (p) {
      var row = el('div', 'property');
      row.dataset.name = p.name;
      if (p.verdict) {
        row.appendChild(el('span', 'prop-verdict prop-' + p.verdict.toLowerCase(), p.verdict));
      }
      row.appendChild(el('span', 'property-name', p.name));
      row.appendChild(el('code', 'property-text', p.holds));
      var run = p.counterexample || p.witness;
      if (run) {
        var what = p.counterexample ? 'counterexample: ' : 'witness: ';
        row.appendChild(el('div', 'property-path', what + run.path));
      }
      node.appendChild(row);
    });
  }

  function renderTimeline() {
    var list = $('timeline');
    clear(list);
    model.steps.forEach(function (step) {
      var li = el('li', 'tl-step');
      li.dataset.step = step.index;
      if (!step.ok) { li.classList.add('illegal'); }
      else if (!step.checked) { li.classList.add('unchecked'); }
      if (step.decision && step.decision.retries) { li.classList.add('refused'); }
      li.title = (!step.ok ? 'illegal' : step.checked ? 'legal' : 'not checkable offline') + ': ' + step.why;
      li.appendChild(el('span', 'tl-index', step.index));
      li.appendChild(el('span', 'tl-speaker', step.speaker));
      var first = step.content.split('\n')[0];
      li.appendChild(el('span', 'tl-text', first.length > 60 ? first.slice(0, 59) + '…' : first));
      li.addEventListener('click', function () { go(step.index); });
      list.appendChild(li);
    });
    var legend = $('legend');
    clear(legend);
    if (list.querySelector('.unchecked')) { legend.appendChild(el('div', null, '? not checkable offline: a natural-language condition nobody recorded a verdict for')); }
    if (list.querySelector('.refused')) { legend.appendChild(el('div', null, '↻ a model answer was refused and asked again')); }
    if (list.querySelector('.illegal')) { legend.appendChild(el('div', 'bad', 'red: an illegal move (no edge of the spec allows it)')); }
    var slider = $('slider');
    slider.max = String(Math.max(0, model.steps.length - 1));
  }

  // The exact messages sent for an answer (from the record), folded away.
  function promptBox(a) {
    var box = el('details', 'prompt');
    var n = a.prompt.length;
    box.appendChild(el('summary', null, 'prompt sent (' + FSM.plural(n, 'message') + (a.prompt_model ? ', model ' + a.prompt_model : '') + ')'));
    a.prompt.forEach(function (m) {
      var item = el('div', 'prompt-message');
      item.appendChild(el('div', 'prompt-role', m.role));
      item.appendChild(el('pre', 'prompt-text', m.content === '' ? '(empty)' : m.content));
      box.appendChild(item);
    });
    return box;
  }

  function decisionBlock(d, title) {
    var box = el('div', 'decision');
    box.appendChild(el('h3', null, title));
    var why = kv(box, 'why', d.reason + ' — ' + d.why, d.reason === 'no route' ? 'bad' : '');
    why.classList.add('reason');
    if (d.target) { kv(box, 'next speaker', d.target); }
    if (d.edge !== null && d.edge !== undefined) { kv(box, 'edge taken', edgeName(d.edge)); }
    kv(box, 'candidates', d.candidates.length ? d.candidates.join(', ') : '(none)');
    if (d.kind) { kv(box, 'model asked to', d.kind); }
    if (d.tokens) { kv(box, 'tokens', fmtTokens(d.tokens)); }
    if (d.guards.length) {
      var table = el('table', 'guards');
      var head = el('tr');
      ['edge', 'to', 'kind', 'condition', 'result'].forEach(function (h) { head.appendChild(el('th', null, h)); });
      table.appendChild(head);
      d.guards.forEach(function (g) {
        var tr = el('tr', 'guard');
        var res = g.result === true ? 'holds' : g.result === false ? 'does not hold' : '—';
        tr.classList.add(g.result === true ? 'yes' : g.result === false ? 'no' : 'undecided');
        tr.appendChild(el('td', null, '#' + g.edge));
        tr.appendChild(el('td', null, g.target));
        tr.appendChild(el('td', null, g.kind));
        tr.appendChild(el('td', 'cond', g.text || (g.kind === 'open' ? '(no condition)' : '')));
        tr.appendChild(el('td', 'result', res));
        table.appendChild(tr);
      });
      box.appendChild(table);
    }
    d.attempts.forEach(function (a, i) {
      var att = el('div', 'attempt ' + (a.error ? 'refused' : 'accepted'));
      var head = el('div', 'attempt-head');
      head.appendChild(el('span', 'attempt-n', 'answer ' + (i + 1)));
      head.appendChild(el('span', 'attempt-verdict', a.error ? 'refused' : 'accepted'));
      if (a.tokens) { head.appendChild(el('span', 'attempt-meta', fmtTokens(a.tokens))); }
      if (a.latency !== null && a.latency !== undefined) {
        head.appendChild(el('span', 'attempt-meta', a.cached ? 'cache hit' : fmtLatency(a.latency)));
      }
      att.appendChild(head);
      if (a.prompt) { att.appendChild(promptBox(a)); }
      att.appendChild(el('pre', 'raw', a.raw === '' ? '(empty answer)' : a.raw));
      if (a.error) { att.appendChild(el('div', 'refusal', 'refused: ' + a.error)); }
      box.appendChild(att);
    });
    return box;
  }

  function renderStep() {
    var step = model.steps[current];
    var box = $('step');
    clear(box);
    if (!step) {
      box.appendChild(el('p', 'empty', 'No messages yet.'));
      $('step-label').textContent = '';
      return;
    }
    $('step-label').textContent = 'step ' + step.index + ' of ' + (model.steps.length - 1);
    var h = el('h2', 'step-title');
    h.appendChild(el('span', 'from', step.from === null ? '(start)' : step.from));
    h.appendChild(el('span', 'arrow', ' → '));
    h.appendChild(el('span', 'speaker', step.speaker));
    box.appendChild(h);
    var verdict = el('div', 'verdict');
    if (!step.ok) {
      verdict.classList.add('illegal');
      verdict.textContent = 'illegal: ' + step.why;
    } else if (!step.checked) {
      verdict.classList.add('unchecked');
      verdict.textContent = 'not checkable offline: ' + step.why;
    } else {
      verdict.classList.add('ok');
      verdict.textContent = 'legal: ' + step.why;
    }
    box.appendChild(verdict);
    if (step.edge !== null && step.edge !== undefined) {
      var e = model.spec.edges[step.edge];
      kv(box, 'edge', edgeName(step.edge) + (e ? ' (' + e.label + ')' : ''));
    }
    box.appendChild(messageBox(step.content));
    if (step.tokens) { kv(box, 'reply tokens', fmtTokens(step.tokens)); }
    if (step.decision) {
      box.appendChild(decisionBlock(step.decision, 'Why ' + step.speaker + ' spoke'));
    } else if (step.index > 0) {
      box.appendChild(el('p', 'no-decision', 'No routing record for this step (a transcript without a trace): its legality comes from the spec alone.'));
    }
    if (current === model.steps.length - 1) {
      if (model.final) { box.appendChild(decisionBlock(model.final, 'After the last message')); }
      box.appendChild(el('div', 'ending status-' + model.status, 'chat ' + model.status + (model.detail ? ': ' + model.detail : '')));
    }
  }

  function stepEdge(svg, step) {
    if (step.index === 0) { return svg.querySelector('.fsm-start'); }
    if (!step.ok && step.from !== null) {
      return svg.querySelector('[data-illegal]' + attrSel('data-src', step.from) + attrSel('data-dst', step.speaker));
    }
    if (step.edge !== null && step.edge !== undefined) {
      return svg.querySelector(attrSel('data-edge', step.edge));
    }
    return null;
  }

  function lightDiagram() {
    var svg = svgRoot();
    if (!svg) { return; }
    svg.querySelectorAll('.fsm-current, .fsm-visited, .fsm-node-current').forEach(function (n) {
      n.classList.remove('fsm-current', 'fsm-visited', 'fsm-node-current');
    });
    for (var i = 0; i <= current && i < model.steps.length; i++) {
      var edge = stepEdge(svg, model.steps[i]);
      if (edge) { edge.classList.add(i === current ? 'fsm-current' : 'fsm-visited'); }
    }
    var step = model.steps[current];
    if (step) {
      var node = svg.querySelector(attrSel('data-agent', step.speaker));
      if (node) { node.classList.add('fsm-node-current'); }
      FSM.reveal($('diagram'), svg.querySelector('.fsm-current') || node);  // keep the step in view
    }
  }

  function go(i) {
    if (!model.steps.length) { renderStep(); return; }
    current = Math.max(0, Math.min(model.steps.length - 1, i));
    $('slider').value = String(current);
    document.querySelectorAll('#timeline .tl-step').forEach(function (li) {
      var on = Number(li.dataset.step) === current;
      li.classList.toggle('active', on);
      if (on && li.scrollIntoView) { li.scrollIntoView({ block: 'nearest' }); }
    });
    renderStep();
    lightDiagram();
  }

  // Clicking an edge of the diagram: say what it is and jump to a step that took it.
  function showEdge(group) {
    var info = $('edge-info');
    clear(info);
    info.hidden = false;
    var src = group.dataset.src;
    var dst = group.dataset.dst;
    var takers = model.steps.filter(function (s) {
      if (group.dataset.illegal) { return !s.ok && s.from === src && s.speaker === dst; }
      return s.ok && String(s.edge) === group.dataset.edge;
    });
    if (group.dataset.illegal) {
      info.appendChild(el('h3', 'bad', 'illegal move ' + src + ' → ' + dst));
      info.appendChild(el('p', null, 'No edge of the spec allows this move.'));
    } else {
      var e = model.spec.edges[Number(group.dataset.edge)];
      info.appendChild(el('h3', null, edgeName(Number(group.dataset.edge))));
      if (e.when) { kv(info, 'when', e.when); }
      if (e.on) { kv(info, 'on', e.on); }
      if (e.default) { kv(info, 'default', 'taken when no other edge holds'); }
      if (!e.when && !e.on && !e.default) { kv(info, 'condition', 'none (open)'); }
    }
    kv(info, 'taken', takers.length + (takers.length === 1 ? ' time' : ' times'));
    if (takers.length) {
      var list = el('div', 'takers');
      takers.forEach(function (s) {
        var b = el('button', 'taker', 'step ' + s.index);
        b.type = 'button';
        b.addEventListener('click', function () { go(s.index); });
        list.appendChild(b);
      });
      info.appendChild(list);
      var next = takers.filter(function (s) { return s.index > current; })[0] || takers[0];
      go(next.index);
    }
  }

  function wireDiagram() {
    var svg = svgRoot();
    if (!svg) { return; }
    svg.addEventListener('click', function (ev) {
      var group = ev.target.closest('g.fsm-edge');
      if (group) { showEdge(group); }
    });
  }

  function replaceDiagram(text) {
    var doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    var fresh = doc.documentElement;
    if (!fresh || fresh.nodeName !== 'svg') { return; }
    var holder = $('diagram');
    var old = svgRoot();
    var node = document.importNode(fresh, true);
    if (old) { holder.replaceChild(node, old); } else { holder.insertBefore(node, holder.firstChild); }
    FSM.zoomable(holder);  // the same view of the new drawing
    wireDiagram();
  }

  function initChat() {
    FSM.zoomable($('diagram'));
    status(model);
    renderSummary();
    renderTimeline();
    wireDiagram();
    $('prev').addEventListener('click', function () { go(current - 1); });
    $('next').addEventListener('click', function () { go(current + 1); });
    $('slider').addEventListener('input', function () { go(Number($('slider').value)); });
    document.addEventListener('keydown', function (ev) {
      if (ev.target && ev.target.id === 'slider') { return; }  // the slider moves itself
      if (ev.key === 'ArrowLeft') { go(current - 1); ev.preventDefault(); }
      else if (ev.key === 'ArrowRight') { go(current + 1); ev.preventDefault(); }
      else if (ev.key === 'Home') { go(0); ev.preventDefault(); }
      else if (ev.key === 'End') { go(model.steps.length - 1); ev.preventDefault(); }
    });
    var live = document.body.dataset.live;
    go(live ? model.steps.length - 1 : 0);  // a live page follows the newest step
    if (live) { follow(live); }
  }

  // A live page: the server sends the whole model (and the diagram when its
  // lit edges change) each time the record grows. At the last step, follow it.
  function follow(url) {
    var source = new EventSource(url);
    var badge = $('live');
    source.addEventListener('model', function (ev) {
      var data = JSON.parse(ev.data);
      var banner = $('banner');
      if (data.error) {
        banner.hidden = false;
        banner.textContent = data.error;
        return;
      }
      banner.hidden = true;
      var atEnd = current >= model.steps.length - 1;
      model = data.model;
      if (data.svg) { replaceDiagram(data.svg); }
      status(model);
      renderSummary();
      renderTimeline();
      go(atEnd ? model.steps.length - 1 : current);
      if (badge) { badge.classList.add('connected'); }
    });
    source.addEventListener('error', function () {
      if (badge) { badge.classList.remove('connected'); }
    });
  }

  initChat();
}());
