// sqlguard web console (docs/console.md). Plain browser JavaScript, no build step, no external
// resources. Every value that comes from the server is put into the page with textContent or
// attribute setters, never parsed as HTML.
'use strict';

(() => {
  const TOKEN_KEY = 'sqlguard.console.token';
  const REFRESH_MS = 5000;

  const $ = (id) => document.getElementById(id);
  const state = {
    whoami: null,
    approvalCards: new Map(), // id -> {node, signature}
    refreshTimer: null,
    approvalsChain: Promise.resolve(),
    approvalsInFlight: 0,
  };

  // ---- small DOM helpers (text only) ----

  /** Creates an element; `text` is set with textContent. */
  function el(tag, { text, cls, attrs } = {}, children = []) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** A definition list from [term, value] pairs; a value may be a string or a Node. */
  function defs(pairs, cls = 'defs') {
    const dl = el('dl', { cls });
    for (const [term, value] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      dl.append(el('dt', { text: term }));
      const dd = el('dd');
      if (value instanceof Node) dd.append(value); else dd.textContent = String(value);
      dl.append(dd);
    }
    return dl;
  }

  function badge(text, kind) {
    return el('span', { text, cls: `badge badge-${String(kind || text).replace(/[^a-z0-9_-]/gi, '')}` });
  }

  function timeNode(value) {
    const ms = parseTime(value);
    if (ms === null) return el('span', { text: value ?? '' });
    const iso = new Date(ms).toISOString();
    return el('time', { text: iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), attrs: { datetime: iso } });
  }

  /** RFC 3339 string, epoch seconds or epoch milliseconds → epoch ms, or null. */
  function parseTime(value) {
    if (typeof value === 'number' && Number.isFinite(value)) return value > 1e12 ? value : value * 1000;
    if (typeof value === 'string' && value) {
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? null : ms;
    }
    return null;
  }

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${s % 60} s`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h} h ${m % 60} min`;
    return `${Math.floor(h / 24)} d ${h % 24} h`;
  }

  function age(value) {
    const ms = parseTime(value);
    return ms === null ? '' : `${duration(Date.now() - ms)} ago`;
  }

  function until(value) {
    const ms = parseTime(value);
    if (ms === null) return '';
    const left = ms - Date.now();
    return left <= 0 ? 'expired' : `in ${duration(left)}`;
  }

  // ---- messages ----

  function say(message) {
    $('status').textContent = message;
  }

  function alertMessage(message) {
    const node = $('alert');
    node.textContent = message || '';
    node.hidden = !message;
  }

  // ---- API ----

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, { method = 'GET', body } = {}) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit', cache: 'no-store', redirect: 'error',
      });
    } catch (e) {
      throw new ApiError(0, `cannot reach the server (${e.message})`);
    }
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (!response.ok) {
      const message = (data && typeof data.error === 'string') ? data.error
        : (data && data.error && typeof data.error.message === 'string') ? data.error.message
        : `HTTP ${response.status}`;
      if (response.status === 401) signOut(`Signed out: ${message}`);
      throw new ApiError(response.status, message);
    }
    return data;
  }

  // ---- sign in / out ----

  async function signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    try {
      const who = await api('/api/whoami');
      state.whoami = who;
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(`Sign-in failed: ${e.message}`);
      return false;
    }
    showApp();
    return true;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.whoami = null;
    showLogin(message);
  }

  function showLogin(message) {
    stopRefresh();
    $('app').hidden = true;
    $('identity').hidden = true;
    $('login').hidden = false;
    $('token').value = '';
    alertMessage(message || '');
    if (!message) say('');
    $('token').focus();
  }

  function showApp() {
    const who = state.whoami || {};
    $('who-subject').textContent = who.subject || '(unknown)';
    const groups = Array.isArray(who.groups) ? who.groups : [];
    $('who-groups').textContent = groups.length ? `(${groups.join(', ')})` : '';
    $('who-role').textContent = who.reviewer ? 'reviewer' : 'not a reviewer';
    $('who-role').className = `badge ${who.reviewer ? 'badge-allow' : 'badge-muted'}`;
    $('login').hidden = true;
    $('identity').hidden = false;
    $('app').hidden = false;
    alertMessage('');
    say(`Signed in as ${who.subject || '(unknown)'}.`);
    selectTab($('tab-approvals'), false);
  }

  // ---- tabs (WAI-ARIA tabs pattern: arrows move, Home/End jump) ----

  const tabs = () => Array.from(document.querySelectorAll('[role="tab"]'));

  function selectTab(tab, focus = true) {
    for (const t of tabs()) {
      const selected = t === tab;
      t.setAttribute('aria-selected', String(selected));
      t.tabIndex = selected ? 0 : -1;
      $(t.getAttribute('aria-controls')).hidden = !selected;
    }
    if (focus) tab.focus();
    stopRefresh();
    if (tab.id === 'tab-approvals') { loadApprovals(); startRefresh(); }
    if (tab.id === 'tab-sessions') loadSessions();
    if (tab.id === 'tab-log') loadVerify();
  }

  function onTabKey(event) {
    const list = tabs();
    const i = list.indexOf(event.currentTarget);
    let next = null;
    if (event.key === 'ArrowRight') next = list[(i + 1) % list.length];
    else if (event.key === 'ArrowLeft') next = list[(i - 1 + list.length) % list.length];
    else if (event.key === 'Home') next = list[0];
    else if (event.key === 'End') next = list[list.length - 1];
    if (next) { event.preventDefault(); selectTab(next); }
  }

  // ---- approvals ----

  function startRefresh() {
    stopRefresh();
    if (!$('approvals-auto').checked) return;
    state.refreshTimer = setInterval(() => { loadApprovals(true, true); }, REFRESH_MS);
  }

  function stopRefresh() {
    if (state.refreshTimer) clearInterval(state.refreshTimer);
    state.refreshTimer = null;
  }

  /** Loads the approvals list; loads run one after another (a reload after a decision is never
   *  lost behind a timer refresh), and a timer refresh is skipped while one is under way. */
  function loadApprovals(quiet = false, fromTimer = false) {
    if (fromTimer && state.approvalsInFlight > 0) return Promise.resolve();
    state.approvalsInFlight += 1;
    state.approvalsChain = state.approvalsChain.then(() => fetchApprovals(quiet)).finally(() => {
      state.approvalsInFlight -= 1;
    });
    return state.approvalsChain;
  }

  async function fetchApprovals(quiet) {
    const filter = $('approvals-state').value;
    try {
      const data = await api(`/api/approvals?state=${encodeURIComponent(filter)}`);
      const approvals = Array.isArray(data && data.approvals) ? data.approvals : [];
      renderApprovals(approvals);
      const note = approvals.length === 0 ? `No ${filter === 'all' ? '' : `${filter} `}approval requests.`
        : `${approvals.length} ${filter === 'all' ? '' : `${filter} `}approval request${approvals.length === 1 ? '' : 's'}.`;
      $('approvals-note').textContent = note;
      if (!quiet) say(note);
    } catch (e) {
      if (e.status !== 401) alertMessage(`Cannot load approvals: ${e.message}`);
    }
  }

  function renderApprovals(approvals) {
    const list = $('approvals-list');
    const seen = new Set();
    const nodes = [];
    for (const a of approvals) {
      const id = String(a.id);
      seen.add(id);
      const signature = JSON.stringify(a);
      const known = state.approvalCards.get(id);
      if (known && known.signature === signature) {
        updateAges(known.node, a);
        nodes.push(known.node);
      } else {
        const node = approvalCard(a);
        if (known) known.node.replaceWith(node);
        state.approvalCards.set(id, { node, signature });
        nodes.push(node);
      }
    }
    for (const [id, { node }] of state.approvalCards) {
      if (!seen.has(id)) { node.remove(); state.approvalCards.delete(id); }
    }
    // Reorder only when the order changed, so a card being typed in keeps its focus.
    const current = Array.from(list.children);
    if (current.length !== nodes.length || current.some((n, i) => n !== nodes[i])) {
      for (const node of nodes) list.append(node);
    }
  }

  function updateAges(node, a) {
    const ageNode = node.querySelector('[data-age]');
    if (ageNode) ageNode.textContent = age(a.created_at);
    const expNode = node.querySelector('[data-expires]');
    if (expNode) expNode.textContent = until(a.expires_at);
  }

  function approvalCard(a) {
    const id = String(a.id);
    const titleId = `approval-${id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    const principal = a.principal || {};
    const client = principal.client;
    const clientText = client && typeof client === 'object'
      ? [client.name, client.version].filter(Boolean).join(' ') : (client || '');
    const groups = Array.isArray(principal.groups) ? principal.groups.join(', ') : '';
    const tables = Array.isArray(a.tables) ? a.tables.join(', ') : (a.tables || '');

    const title = el('h3', { attrs: { id: titleId } }, [
      el('span', { text: `${(a.kind || 'statement').toUpperCase()} ${tables}`.trim() }), ' ',
      badge(a.state || 'unknown'),
    ]);
    const ageSpan = el('span', { text: age(a.created_at), attrs: { 'data-age': '' } });
    const requested = el('span', {}, [ageSpan, ' (', timeNode(a.created_at), ')']);
    const expires = a.state === 'pending'
      ? el('span', {}, [el('span', { text: until(a.expires_at), attrs: { 'data-expires': '' } }), ' (', timeNode(a.expires_at), ')'])
      : timeNode(a.expires_at);
    const given = Array.isArray(a.approvals) ? a.approvals : [];
    const approvalsList = el('ul', { cls: 'plain' });
    for (const g of given) {
      approvalsList.append(el('li', {}, [
        el('strong', { text: g.reviewer || '?' }), ' ', timeNode(g.at),
        g.comment ? el('span', { text: ` — “${g.comment}”` }) : null,
      ]));
    }
    const required = Number(a.approvals_required) || 1;
    const denial = a.denial && typeof a.denial === 'object'
      ? el('span', {}, [el('strong', { text: a.denial.reviewer || '?' }), ' ', timeNode(a.denial.at),
        a.denial.comment ? el('span', { text: ` — “${a.denial.comment}”` }) : null])
      : null;

    const article = el('article', { attrs: { 'aria-labelledby': titleId } }, [
      title,
      el('pre', { cls: 'sql', attrs: { 'aria-label': 'Statement' } }, [el('code', { text: a.statement || '' })]),
      defs([
        ['Requested by', [principal.subject, groups && `(${groups})`, clientText && `via ${clientText}`].filter(Boolean).join(' ')],
        ['Runs in schema', a.schema],
        ['Rule', a.rule],
        ['Reason', a.reason],
        ['Requested', requested],
        ['Expires', expires],
        ['Approvals', given.length ? el('div', {}, [el('span', { text: `${given.length} of ${required}` }), approvalsList]) : `0 of ${required}`],
        ['Denied by', denial],
        ['Statement SHA-256', a.sha256],
        ['Request id', id],
      ]),
    ]);

    if (a.state === 'pending') article.append(decisionForm(a, titleId));
    return el('li', { cls: `card card-${String(a.state).replace(/[^a-z]/g, '')}`, attrs: { 'data-id': id } }, [article]);
  }

  function decisionForm(a, titleId) {
    const who = state.whoami || {};
    const own = who.subject && a.principal && a.principal.subject === who.subject;
    if (!who.reviewer) {
      return el('p', { cls: 'muted', text: 'You are not in a reviewer group: you can see this request but not decide it.' });
    }
    if (own) {
      return el('p', { cls: 'muted', text: 'This is your own request: another reviewer must decide it.' });
    }
    const commentId = `${titleId}-comment`;
    const form = el('form', { cls: 'decide', attrs: { 'aria-label': 'Decide this request' } });
    const textarea = el('textarea', { attrs: { id: commentId, name: 'comment', rows: '2', maxlength: '2000' } });
    const approve = el('button', { text: 'Approve', cls: 'approve', attrs: { type: 'submit', value: 'approve' } });
    const deny = el('button', { text: 'Deny', cls: 'deny', attrs: { type: 'submit', value: 'deny' } });
    form.append(el('label', { text: 'Comment (recorded in the audit log)', attrs: { for: commentId } }), textarea,
      el('div', { cls: 'actions' }, [approve, deny]));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const action = event.submitter && event.submitter.value === 'deny' ? 'deny' : 'approve';
      approve.disabled = true;
      deny.disabled = true;
      alertMessage('');
      let message = '';
      try {
        const result = await api(`/api/approvals/${encodeURIComponent(a.id)}/${action}`, {
          method: 'POST', body: { comment: textarea.value },
        });
        const newState = result && result.state ? result.state : (action === 'approve' ? 'approved' : 'denied');
        message = `Request ${a.id} ${action === 'approve' ? 'approved' : 'denied'}: now ${newState}.`;
      } catch (e) {
        alertMessage(`Could not ${action} request ${a.id}: ${e.message}`);
        approve.disabled = false;
        deny.disabled = false;
      }
      await loadApprovals(true);
      if (message) say(message);
      const next = $('approvals-list').querySelector('textarea, button');
      ($('approvals-list').contains(form) ? textarea : (next || $('approvals-state'))).focus();
    });
    return form;
  }

  // ---- sessions ----

  async function loadSessions() {
    const limit = $('sessions-limit').value;
    try {
      const data = await api(`/api/audit/sessions?limit=${encodeURIComponent(limit)}`);
      const sessions = Array.isArray(data && data.sessions) ? data.sessions : [];
      const body = $('sessions-body');
      clear(body);
      for (const s of sessions) {
        const open = el('button', { text: String(s.session), cls: 'link', attrs: { type: 'button', 'aria-label': `Show the timeline of session ${s.session}` } });
        open.addEventListener('click', () => loadTimeline(String(s.session)));
        body.append(el('tr', {}, [
          el('td', {}, [open]),
          el('td', { text: s.subject }),
          el('td', { text: s.client }),
          el('td', { text: s.transport }),
          el('td', {}, [timeNode(s.started)]),
          el('td', {}, [s.ended ? timeNode(s.ended) : el('span', { text: 'open', cls: 'muted' })]),
          el('td', { text: s.calls, cls: 'num' }),
          el('td', { text: s.refusals, cls: 'num' }),
        ]));
      }
      if (sessions.length === 0) body.append(el('tr', {}, [el('td', { text: 'No sessions in the audit log.', attrs: { colspan: '8' } })]));
      say(`${sessions.length} session${sessions.length === 1 ? '' : 's'}.`);
    } catch (e) {
      if (e.status !== 401) alertMessage(`Cannot load sessions: ${e.message}`);
    }
  }

  const ENVELOPE = new Set(['v', 'seq', 'time', 'origin', 'prev', 'type', 'session']);

  function recordDetails(r) {
    const type = r.type;
    const principal = r.principal || {};
    if (type === 'session.start') {
      const client = principal.client || {};
      return defs([
        ['Subject', principal.subject], ['Issuer', principal.issuer],
        ['Groups', Array.isArray(principal.groups) ? principal.groups.join(', ') : ''],
        ['Authentication', principal.auth], ['Client', [client.name, client.version].filter(Boolean).join(' ')],
        ['Transport', r.transport], ['Remote address', r.remote_address],
      ]);
    }
    if (type === 'session.end') return defs([['Reason', r.reason]]);
    if (type === 'call.intent') {
      const st = r.statement || {};
      const dec = r.decision || {};
      return el('div', {}, [
        st.text ? el('pre', { cls: 'sql', attrs: { 'aria-label': 'Statement' } }, [el('code', { text: st.text })]) : null,
        defs([
          ['Call', r.call], ['Tool', r.tool], ['By', principal.subject],
          ['Kind', st.kind], ['Tables', Array.isArray(st.tables) ? st.tables.join(', ') : ''], ['Schema', st.schema],
          ['Decision', dec.action ? badge(dec.action === 'approve' ? 'approval required' : dec.action, dec.action) : null], ['Rule', dec.rule], ['Reason', dec.reason],
          ['Approval', approvalText(r.approval)],
          ['Statement SHA-256', st.sha256],
        ]),
      ]);
    }
    if (type === 'call.outcome') {
      const masked = Array.isArray(r.masked_columns) ? r.masked_columns.map((m) =>
        (m && typeof m === 'object') ? `${m.column} (${[m.method, m.rule && `rule ${m.rule}`].filter(Boolean).join(', ')})` : String(m)) : [];
      return defs([
        ['Call', r.call], ['Status', r.status ? badge(r.status) : null], ['Approval', approvalText(r.approval)],
        ['Rows', r.rows], ['Affected rows', r.affected_rows], ['Truncated', r.truncated ? 'yes' : ''],
        ['Columns', Array.isArray(r.columns) ? r.columns.map((c) => (typeof c === 'object' && c ? c.name : c)).join(', ') : ''],
        ['Masked columns', masked.join('; ')],
        ['Result digest (SHA-256, masked)', r.result_sha256],
        ['Duration', r.duration_us !== undefined ? `${r.duration_us} µs` : ''],
        ['Error class', r.error_class], ['Error', r.error],
      ]);
    }
    if (type === 'approval.request') {
      const st = (r.statement && typeof r.statement === 'object') ? r.statement : { text: r.statement };
      return el('div', {}, [
        st.text ? el('pre', { cls: 'sql', attrs: { 'aria-label': 'Statement' } }, [el('code', { text: st.text })]) : null,
        defs([
          ['Approval', r.approval], ['Call', r.call], ['Requested by', principal.subject],
          ['Kind', st.kind], ['Tables', Array.isArray(st.tables) ? st.tables.join(', ') : ''], ['Schema', st.schema],
          ['Rule', r.rule], ['Reason', r.reason],
          ['Approver groups', Array.isArray(r.approver_groups) ? r.approver_groups.join(', ') : ''],
          ['Approvals required', r.approvals_required], ['Expires', r.expires ? timeNode(r.expires) : null],
          ['Statement SHA-256', st.sha256],
        ]),
      ]);
    }
    if (type === 'approval.decision') {
      const approver = (r.approver && typeof r.approver === 'object') ? r.approver : { subject: r.approver };
      const groups = Array.isArray(approver.groups) ? ` (${approver.groups.join(', ')})` : '';
      return defs([
        ['Approval', r.approval], ['Call', r.call],
        ['Decision', r.decision ? badge(r.decision, { approve: 'approved', deny: 'denied' }[r.decision] || 'expired') : null],
        ['By', approver.subject ? `${approver.subject}${groups}` : ''],
        ['Comment', r.comment], ['At', r.at ? timeNode(r.at) : null],
        ['Request state', r.state], ['Via', r.via],
      ]);
    }
    // Anything else: every field but the envelope, in order.
    const pairs = [];
    for (const [k, v] of Object.entries(r)) {
      if (ENVELOPE.has(k)) continue;
      if (k === 'decision' && typeof v === 'string') { pairs.push([k, badge(v)]); continue; }
      pairs.push([k, (v !== null && typeof v === 'object') ? JSON.stringify(v) : String(v)]);
    }
    return defs(pairs);
  }

  /** The `approval` member of a call record: an id, or {id, state} / {id, approvers[]}. */
  function approvalText(a) {
    if (!a) return '';
    if (typeof a !== 'object') return String(a);
    const approvers = Array.isArray(a.approvers)
      ? a.approvers.map((x) => (x && typeof x === 'object') ? (x.subject || x.reviewer || JSON.stringify(x)) : String(x)) : [];
    return [a.id, a.state, approvers.length ? `approved by ${approvers.join(', ')}` : ''].filter(Boolean).join(' · ');
  }

  async function loadTimeline(id) {
    try {
      const data = await api(`/api/audit/sessions/${encodeURIComponent(id)}`);
      const records = Array.isArray(data && data.records) ? data.records : [];
      const list = $('timeline-list');
      clear(list);
      for (const r of records) {
        const raw = el('details', {}, [el('summary', { text: 'Record as stored' }), el('pre', { cls: 'raw', text: JSON.stringify(r, null, 2) })]);
        list.append(el('li', { cls: `event event-${String(r.type).replace(/[^a-z]/g, '-')}` }, [
          el('div', { cls: 'event-head' }, [
            timeNode(r.time), ' ', el('span', { text: `#${r.seq}`, cls: 'muted' }), ' ',
            el('strong', { text: r.type }),
          ]),
          recordDetails(r),
          raw,
        ]));
      }
      if (data && data.truncated) list.append(el('li', { text: 'Only the first records of this session are shown.', cls: 'muted' }));
      $('timeline-title').textContent = `Timeline of session ${id} (${records.length} records)`;
      $('timeline').hidden = false;
      $('timeline-title').focus();
      say(`Timeline of session ${id}: ${records.length} records.`);
    } catch (e) {
      if (e.status !== 401) alertMessage(`Cannot load session ${id}: ${e.message}`);
    }
  }

  // ---- log status ----

  async function loadVerify() {
    const out = $('verify-result');
    const button = $('verify-run');
    button.disabled = true;
    say('Verifying the audit log…');
    try {
      const v = await api('/api/audit/verify');
      clear(out);
      out.append(
        el('p', { cls: `verdict ${v.ok ? 'ok' : 'failed'}` }, [badge(v.ok ? 'verified' : 'FAILED', v.ok ? 'allow' : 'deny'), ' ', el('span', { text: v.summary })]),
        defs([
          ['Origin', v.origin], ['Records', v.records], ['Segments', v.segments],
          ['Checkpoints verified', v.checkpoints], ['Latest checkpoint size', v.latest_checkpoint_size],
          ['Latest signer', v.latest_signer],
          ['First problem', v.failure ? `${v.failure.segment || ''}${v.failure.line ? ` line ${v.failure.line}` : ''}: ${v.failure.message}` : null],
        ]),
      );
      const warnings = Array.isArray(v.warnings) ? v.warnings : [];
      if (warnings.length) {
        out.append(el('h3', { text: 'Warnings (what could not be proven)' }));
        out.append(el('ul', {}, warnings.map((w) => el('li', { text: w }))));
      }
      say(v.ok ? 'Audit log verified.' : 'Audit log verification FAILED.');
    } catch (e) {
      if (e.status !== 401) alertMessage(`Cannot verify the audit log: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- wiring ----

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
      if (!token) { alertMessage('Paste a bearer token or an API key.'); $('token').focus(); return; }
      $('login-submit').disabled = true;
      await signIn(token);
      $('login-submit').disabled = false;
    });
    $('logout').addEventListener('click', () => signOut('Signed out.'));
    for (const tab of tabs()) {
      tab.addEventListener('click', () => selectTab(tab));
      tab.addEventListener('keydown', onTabKey);
    }
    $('approvals-filter').addEventListener('submit', (event) => { event.preventDefault(); loadApprovals(); });
    $('approvals-state').addEventListener('change', () => loadApprovals());
    $('approvals-auto').addEventListener('change', () => startRefresh());
    $('sessions-filter').addEventListener('submit', (event) => { event.preventDefault(); loadSessions(); });
    $('verify-run').addEventListener('click', () => loadVerify());

    if (sessionStorage.getItem(TOKEN_KEY)) {
      signIn(sessionStorage.getItem(TOKEN_KEY));
    } else {
      showLogin('');
    }
  });
})();
