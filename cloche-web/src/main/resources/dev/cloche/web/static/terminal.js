// The browser terminal: xterm.js over a websocket to one process with a TTY.
let term = null;
let fit = null;
let socket = null;

function status(text) {
  document.getElementById('t-status').textContent = text;
}

function ensureTerminal() {
  if (term) return;
  // the DOM renderer: its rows are text a screen reader (and a test) can read
  term = new Terminal({ cursorBlink: true, scrollback: 5000, rendererType: 'dom' });
  fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(document.getElementById('terminal'));
  // Ctrl+Shift+C copies the selection (Ctrl+C stays the process's interrupt); pasting is the browser's own
  term.attachCustomKeyEventHandler(e => {
    if (e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC') { copySelection(); return false; }
    return true;
  });
  term.onData(data => send({ type: 'input', data }));
  term.onResize(({ cols, rows }) => { showSize(); send({ type: 'resize', cols, rows }); });
  window.addEventListener('resize', () => fit.fit());
}

// the window size the process was told, on the element (what a test or a screen reader user can check)
function showSize() {
  const box = document.getElementById('terminal');
  box.dataset.cols = term.cols;
  box.dataset.rows = term.rows;
}

export function copySelection() {
  if (term && term.hasSelection()) navigator.clipboard.writeText(term.getSelection()).catch(() => {});
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

export function openTerminal(handle, cmd, attach) {
  ensureTerminal();
  if (socket) socket.close();
  term.reset();
  fit.fit();
  showSize();
  const q = new URLSearchParams({ cols: term.cols, rows: term.rows });
  if (attach) q.set('attach', attach); else if (cmd) q.set('cmd', cmd);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/api/containers/${encodeURIComponent(handle)}/terminal?${q}`);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  let ended = false;
  status(`Connecting to ${handle}…`);
  ws.onmessage = ev => {
    if (typeof ev.data !== 'string') { term.write(new Uint8Array(ev.data)); return; }
    const m = JSON.parse(ev.data);
    if (m.type === 'started') status(`Running process ${m.id} in ${handle}.`);
    if (m.type === 'exit') {
      ended = true;
      status(`Process exited with status ${m.status}.`);
      term.write(`\r\n[exited with status ${m.status}]\r\n`);
    }
    if (m.type === 'error') { ended = true; status(`Error: ${m.kind}: ${m.message}`); }
  };
  ws.onclose = () => { if (!ended && socket === ws) status('Disconnected; the process runs on and can be attached by id.'); };
  ws.onerror = () => status('The terminal connection failed.');
  term.focus();
}
