// fsmchat view: what every page shares. The page model is JSON in #fsm-data.
// Chat text is data: every node that shows it is filled with textContent,
// never with innerHTML. Diagrams are Graphviz's SVG of a spec; edges carry
// data-edge (the index in spec.transitions, the one number of an edge
// everywhere), data-src/data-dst, and data-illegal for moves that are no edge.
var FSM = (function () {
  'use strict';

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function attrSel(name, value) {
    return '[' + name + '="' + CSS.escape(String(value)) + '"]';
  }

  function kv(parent, key, value, cls) {
    var row = el('div', 'kv' + (cls ? ' ' + cls : ''));
    row.appendChild(el('span', 'k', key));
    row.appendChild(el('span', 'v', value));
    parent.appendChild(row);
    return row;
  }

  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  // Fill a filter <select>: "" (everything, labelled `all`), then each value
  // of `key` in `rows`, sorted, with how many rows have it.
  function filterOptions(select, rows, key, all) {
    var counts = {};
    rows.forEach(function (r) { counts[r[key]] = (counts[r[key]] || 0) + 1; });
    var first = el('option', null, all);
    first.value = '';
    select.appendChild(first);
    Object.keys(counts).sort().forEach(function (v) {
      var o = el('option', null, v + ' (' + counts[v] + ')');
      o.value = v;
      select.appendChild(o);
    });
  }

  // Zoom and pan of a diagram: the SVG fills its pane and its viewBox is the
  // window onto the drawing. It opens at a readable scale (one SVG unit, a
  // Graphviz point, between READ_MIN and READ_MAX screen pixels: edge labels
  // are 10 pt, names 14 pt), whatever the size of the spec; the wheel zooms
  // about the pointer, dragging pans, the buttons zoom, fit the whole drawing,
  // or go back to the readable start. The view survives a redraw (live pages).
  var READ_MIN = 1.0;
  var READ_MAX = 1.4;

  function zoomable(holder) {
    var z = holder.fsmZoom;
    if (!z) {
      z = holder.fsmZoom = { view: null, box: null, dragged: false };
      toolbar(holder, z);
      wire(holder, z);
    }
    var svg = holder.querySelector('svg');
    if (!svg) { return z; }
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    if (!z.box) {
      var vb = svg.viewBox.baseVal;
      z.box = { x: vb.x, y: vb.y, w: vb.width || 100, h: vb.height || 100 };
    }
    z.svg = svg;
    if (holder.clientWidth) {
      if (z.view) { apply(holder, z); } else { start(holder, z); }
    }
    return z;
  }

  function pane(holder) {
    return { w: holder.clientWidth || 600, h: holder.clientHeight || 400 };
  }

  function apply(holder, z) {
    var p = pane(holder);
    z.view.h = z.view.w * p.h / p.w;  // keep the pane's shape: one scale both ways
    z.svg.setAttribute('viewBox', [z.view.x, z.view.y, z.view.w, z.view.h].join(' '));
    holder.dataset.zoom = (p.w / z.view.w).toFixed(3);
  }

  function setScale(holder, z, s, fx, fy) {
    var p = pane(holder);
    s = Math.max(0.05, Math.min(12, s));
    var px = z.view.x + fx * z.view.w;
    var py = z.view.y + fy * z.view.h;
    z.view.w = p.w / s;
    z.view.h = p.h / s;
    z.view.x = px - fx * z.view.w;
    z.view.y = py - fy * z.view.h;
    apply(holder, z);
  }

  function frame(holder, z, s) {
    var p = pane(holder);
    var w = p.w / s;
    var h = p.h / s;
    z.view = {
      x: z.box.x + (z.box.w - w) / 2,
      y: h >= z.box.h ? z.box.y + (z.box.h - h) / 2 : z.box.y,
      w: w, h: h,
    };
    apply(holder, z);
  }

  function fitScale(holder, z) {
    var p = pane(holder);
    return Math.min(p.w / z.box.w, p.h / z.box.h);
  }

  function start(holder, z) {
    frame(holder, z, Math.max(READ_MIN, Math.min(READ_MAX, fitScale(holder, z))));
  }

  // Pan (same zoom) so that `node` (an element of the drawing) is in view.
  function reveal(holder, node) {
    var z = holder.fsmZoom;
    if (!z || !z.view || !node) { return; }
    var box = z.svg.getBoundingClientRect();
    var r = node.getBoundingClientRect();
    if (r.left >= box.left && r.top >= box.top && r.right <= box.right && r.bottom <= box.bottom) { return; }
    var s = box.width / z.view.w;  // screen pixels per drawing unit
    z.view.x += ((r.left + r.right) / 2 - (box.left + box.right) / 2) / s;
    z.view.y += ((r.top + r.bottom) / 2 - (box.top + box.bottom) / 2) / s;
    apply(holder, z);
  }

  function toolbar(holder, z) {
    var bar = el('div', 'zoom-bar');
    [['+', 'zoom in', function () { setScale(holder, z, pane(holder).w / z.view.w * 1.25, 0.5, 0.5); }],
     ['−', 'zoom out', function () { setScale(holder, z, pane(holder).w / z.view.w / 1.25, 0.5, 0.5); }],
     ['fit', 'the whole diagram in the pane', function () { frame(holder, z, fitScale(holder, z)); }],
     ['1:1', 'back to a readable size', function () { start(holder, z); }]].forEach(function (b) {
      var button = el('button', 'zoom-' + (b[0] === '+' ? 'in' : b[0] === '−' ? 'out' : b[0] === 'fit' ? 'fit' : 'reset'), b[0]);
      button.type = 'button';
      button.title = b[1];
      button.addEventListener('click', function (ev) { ev.stopPropagation(); if (z.view) { b[2](); } });
      bar.appendChild(button);
    });
    holder.appendChild(bar);
  }

  function wire(holder, z) {
    holder.addEventListener('wheel', function (ev) {
      if (!z.view) { return; }
      ev.preventDefault();
      var r = holder.getBoundingClientRect();
      var s = pane(holder).w / z.view.w * Math.pow(1.0015, -ev.deltaY);
      setScale(holder, z, s, (ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height);
    }, { passive: false });
    var from = null;
    holder.addEventListener('pointerdown', function (ev) {
      if (!z.view || ev.button !== 0 || ev.target.closest('.zoom-bar')) { return; }
      from = { x: ev.clientX, y: ev.clientY, vx: z.view.x, vy: z.view.y };
      z.dragged = false;
    });
    window.addEventListener('pointermove', function (ev) {
      if (!from) { return; }
      var dx = ev.clientX - from.x;
      var dy = ev.clientY - from.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) { z.dragged = true; holder.classList.add('panning'); }
      if (!z.dragged) { return; }
      var s = pane(holder).w / z.view.w;
      z.view.x = from.vx - dx / s;
      z.view.y = from.vy - dy / s;
      apply(holder, z);
    });
    window.addEventListener('pointerup', function () { from = null; holder.classList.remove('panning'); });
    // A drag is no click on the edge under the pointer.
    holder.addEventListener('click', function (ev) {
      if (z.dragged) { ev.stopPropagation(); ev.preventDefault(); z.dragged = false; }
    }, true);
    window.addEventListener('resize', function () { if (z.view && holder.clientWidth) { apply(holder, z); } });
  }

  return {
    $: $, el: el, clear: clear, attrSel: attrSel, kv: kv, plural: plural, zoomable: zoomable,
    filterOptions: filterOptions, reveal: reveal,
    model: JSON.parse(document.getElementById('fsm-data').textContent),
  };
}());
