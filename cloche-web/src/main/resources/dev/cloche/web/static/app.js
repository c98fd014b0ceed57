import { call, startSession } from '/api.js';
import { openTerminal, copySelection } from '/terminal.js';

const $ = id => document.getElementById(id);
const history = new Map(); // handle -> { mem: [], cpu: [], lastCpu, lastAt }
const POINTS = 40;
let session = {};

function notice(text) {
  const n = $('notice');
  n.textContent = text;
  n.hidden = !text;
}

function show(view) {
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.getAttribute('aria-controls') === 'view-' + view;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
  }
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n, u = -1;
  do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
  return v.toFixed(1) + ' ' + units[u];
}

function age(s) {
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min';
  return Math.floor(s / 3600) + ' h';
}

// An inline SVG sparkline of the last values, scaled to their own maximum.
function spark(values, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${POINTS - 1} 24`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const max = Math.max(1, ...values);
  const line = document.createElementNS(ns, 'polyline');
  const offset = POINTS - values.length;
  line.setAttribute('points', values.map((v, i) => `${offset + i},${(23 - (v / max) * 22).toFixed(2)}`).join(' '));
  svg.append(line);
  return svg;
}

function record(row) {
  const now = performance.now();
  const h = history.get(row.handle) ?? { mem: [], cpu: [], lastCpu: row.cpuNanos, lastAt: now };
  const dt = (now - h.lastAt) * 1e6; // ns
  const cpu = dt > 0 ? Math.max(0, (row.cpuNanos - h.lastCpu) / dt) * 100 : 0;
  h.mem.push(row.memoryBytes); h.cpu.push(cpu);
  if (h.mem.length > POINTS) { h.mem.shift(); h.cpu.shift(); }
  h.lastCpu = row.cpuNanos; h.lastAt = now;
  history.set(row.handle, h);
  return { h, cpu };
}

// Rows are kept and updated in place (never rebuilt), so focus and a button about to be pressed survive a refresh.
function syncRows(body, rows, key, build, update) {
  const existing = new Map([...body.children].map(tr => [tr.dataset.key, tr]));
  let previous = null;
  for (const r of rows) {
    let tr = existing.get(key(r));
    if (tr) existing.delete(key(r));
    else { tr = build(r); tr.dataset.key = key(r); }
    update(tr, r);
    if (tr.previousElementSibling !== previous || tr.parentNode !== body) {
      previous ? previous.after(tr) : body.prepend(tr);
    }
    previous = tr;
  }
  for (const gone of existing.values()) gone.remove();
}

function containerRow(r) {
  const term = el('button', { type: 'button', textContent: 'Terminal' });
  term.setAttribute('aria-label', `Terminal in ${r.handle}`);
  term.addEventListener('click', () => { $('t-handle').value = r.handle; show('terminal'); openTerminal(r.handle, '', ''); });
  const files = el('button', { type: 'button', textContent: 'Files' });
  files.setAttribute('aria-label', `Files of ${r.handle}`);
  files.addEventListener('click', () => { $('f-handle').value = r.handle; $('d-handle').value = r.handle; show('files'); });
  const destroy = el('button', { type: 'button', className: 'danger', textContent: 'Destroy' });
  destroy.setAttribute('aria-label', `Destroy ${r.handle}`);
  destroy.addEventListener('click', async () => {
    if (!confirm(`Destroy container ${r.handle}? Its processes and files are gone for good.`)) return;
    try { await call('DELETE', '/api/containers/' + encodeURIComponent(r.handle)); history.delete(r.handle); await refreshContainers(); }
    catch (e) { notice(e.message); }
  });
  const tr = el('tr', {}, el('th', { scope: 'row', textContent: r.handle }));
  for (const cls of ['state', 'image', 'ip', 'ports', 'props']) tr.append(el('td', { className: cls }));
  tr.append(el('td', { className: 'num age' }), el('td', { className: 'num mem' }), el('td', { className: 'num cpu' }),
    el('td', {}, el('div', { className: 'row' }, term, files, destroy)));
  tr.dataset.handle = r.handle;
  return tr;
}

function updateContainerRow(tr, r) {
  const { h, cpu } = record(r);
  const cell = cls => tr.querySelector('td.' + cls);
  cell('state').textContent = r.state;
  cell('image').textContent = r.image || 'default rootfs';
  cell('ip').textContent = r.ip;
  cell('ports').textContent = r.ports.map(p => `${p.host}→${p.container}`).join(', ');
  cell('props').textContent = Object.entries(r.properties).map(([k, v]) => `${k}=${v}`).join(', ');
  cell('age').textContent = age(r.ageSeconds);
  cell('mem').replaceChildren(spark(h.mem, `memory of ${r.handle}`), el('span', { textContent: bytes(r.memoryBytes) }));
  cell('cpu').replaceChildren(spark(h.cpu, `CPU of ${r.handle}`), el('span', { textContent: cpu.toFixed(1) + ' %' }));
  tr.dataset.memory = r.memoryBytes;
}

async function refreshContainers() {
  const filter = $('filter').value.trim();
  const q = filter ? '?' + new URLSearchParams({ property: filter }) : '';
  const rows = await call('GET', '/api/containers' + q);
  $('handles').replaceChildren(...rows.map(r => el('option', { value: r.handle })));
  syncRows($('containers').querySelector('tbody'), rows, r => r.handle, containerRow, updateContainerRow);
}

function countdown(expires) {
  const s = Math.max(0, Math.round((Date.parse(expires) - Date.now()) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function refreshEnvironments() {
  if (!session.proxyEnvironments) { $('env-off').hidden = false; return; }
  const rows = await call('GET', '/api/environments');
  syncRows($('environments').querySelector('tbody'), rows, r => r.id, r => {
    const end = el('button', { type: 'button', className: 'danger', textContent: 'End' });
    end.setAttribute('aria-label', `End environment ${r.id}`);
    end.addEventListener('click', async () => {
      if (!confirm(`End environment ${r.id}?`)) return;
      try { await call('DELETE', '/api/environments/' + encodeURIComponent(r.id)); await refreshEnvironments(); }
      catch (e) { notice(e.message); }
    });
    const tr = el('tr', {}, el('th', { scope: 'row', textContent: r.id }),
      el('td', {}, el('a', { href: r.url, textContent: r.url, rel: 'noreferrer' })),
      el('td', { className: 'num countdown' }), el('td', { className: 'num requests' }), el('td', {}, end));
    tr.dataset.id = r.id;
    return tr;
  }, (tr, r) => {
    tr.dataset.expires = r.expires;
    tr.querySelector('.countdown').textContent = countdown(r.expires);
    tr.querySelector('.requests').textContent = r.requestsServed;
  });
}

async function refreshTasks() {
  if (!session.consoleTasks) { $('tasks-off').hidden = false; return; }
  const rows = await call('GET', '/api/tasks');
  syncRows($('tasks').querySelector('tbody'), rows, r => r.id, r => {
    const end = el('button', { type: 'button', className: 'danger', textContent: 'End' });
    end.setAttribute('aria-label', `End task ${r.id}`);
    end.addEventListener('click', async () => {
      if (!confirm(`End task ${r.id}?`)) return;
      try { await call('DELETE', '/api/tasks/' + encodeURIComponent(r.id)); await refreshTasks(); } catch (e) { notice(e.message); }
    });
    return el('tr', {}, el('th', { scope: 'row', textContent: r.id }), el('td', { className: 'agent' }),
      el('td', { className: 'num sessions' }), el('td', { className: 'num memory' }), el('td', {}, end));
  }, (tr, r) => {
    tr.querySelector('.agent').textContent = r.agent;
    tr.querySelector('.sessions').textContent = r.sessions;
    tr.querySelector('.memory').textContent = bytes(r.memoryBytes);
  });
}

async function refreshPortLayer() {
  if (!session.portLayer) { $('portlayer-off').hidden = false; return; }
  const rows = await call('GET', '/api/portlayer');
  syncRows($('portlayer').querySelector('tbody'), rows, r => r.id,
    r => el('tr', {}, el('th', { scope: 'row', textContent: r.id }), el('td', { className: 'num version' }),
      el('td', { className: 'run' }), el('td', { className: 'entry' }), el('td', { className: 'num execs' }),
      el('td', { className: 'num limit' })),
    (tr, r) => {
      tr.querySelector('.version').textContent = r.version;
      tr.querySelector('.run').textContent = r.runState;
      tr.querySelector('.entry').textContent = r.entryPoint;
      tr.querySelector('.execs').textContent = r.execs;
      tr.querySelector('.limit').textContent = r.memoryLimit ? bytes(r.memoryLimit) : '';
    });
}

function properties(text) {
  const out = {};
  for (const line of text.split('\n').map(l => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`a property is name=value, got "${line}"`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function wire() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => show(tab.getAttribute('aria-controls').slice(5)));
    tab.addEventListener('keydown', e => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (step) { const next = tabs[(i + step + tabs.length) % tabs.length]; next.focus(); next.click(); }
    });
  });
  $('logout').addEventListener('click', async () => { await call('POST', '/api/logout'); location.reload(); });
  $('filter-form').addEventListener('submit', e => { e.preventDefault(); refreshContainers().catch(x => notice(x.message)); });
  $('create-form').addEventListener('submit', async e => {
    e.preventDefault();
    const f = e.target.elements;
    try {
      const made = await call('POST', '/api/containers', {
        handle: f.handle.value, image: f.image.value, memoryMb: f.memoryMb.value, cpuWeight: f.cpuWeight.value,
        pidMax: f.pidMax.value, properties: properties(f.properties.value),
      });
      notice('');
      $('t-handle').value = made.handle;
      e.target.reset();
      await refreshContainers();
    } catch (x) { notice(x.message); }
  });
  $('terminal-form').addEventListener('submit', e => {
    e.preventDefault();
    openTerminal($('t-handle').value.trim(), $('t-cmd').value, $('t-attach').value.trim());
  });
  $('t-copy').addEventListener('click', copySelection);
  $('upload-form').addEventListener('submit', async e => {
    e.preventDefault();
    const file = $('f-file').files[0];
    const tar = $('f-tar').checked;
    const q = new URLSearchParams({ dir: $('f-dir').value, tar: String(tar) });
    if (!tar) q.set('name', file.name);
    try {
      await call('POST', `/api/containers/${encodeURIComponent($('f-handle').value.trim())}/files?${q}`,
        await file.arrayBuffer(), 'application/octet-stream');
      $('f-status').textContent = `Uploaded ${file.name} into ${$('f-dir').value}.`;
    } catch (x) { $('f-status').textContent = 'Upload failed: ' + x.message; }
  });
  $('download-form').addEventListener('submit', e => {
    e.preventDefault();
    const q = new URLSearchParams({ path: $('d-path').value });
    location.assign(`/api/containers/${encodeURIComponent($('d-handle').value.trim())}/files?${q}`);
  });
}

function poll(fn, ms) {
  const tick = () => fn().catch(e => notice(e.message)).finally(() => setTimeout(tick, ms));
  tick();
}

async function main() {
  wire();
  session = await startSession();
  poll(refreshContainers, 2000);
  poll(refreshEnvironments, 3000);
  poll(refreshTasks, 3000);
  poll(refreshPortLayer, 3000);
  setInterval(() => {
    for (const td of document.querySelectorAll('#environments tr[data-expires] .countdown')) {
      td.textContent = countdown(td.closest('tr').dataset.expires);
    }
  }, 1000);
}

main().catch(e => notice(e.message));
