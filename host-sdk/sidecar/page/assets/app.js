// Tributary admin page: the Artifact Subscription console over the admin API (/api/v1).
// Plain modern JavaScript, no build step, no asset from outside this server. Everything a
// source offers (types, limits, platforms) comes from GET /api/v1/sources, never from here.
'use strict';

const TOKEN_KEY = 'tributary.admin-token';
const POLL_MS = 500;

const SOURCE_LABELS = { dockerhub: 'Docker Hub', gcr: 'GCR', quay: 'Quay', custom: 'Custom Source' };

const state = {
  sources: [],          // [{type, max_latest_n, requires_domain}]
  platforms: [],        // ["linux/amd64", ...]
  rules: [],
  editing: null,        // rule id being edited, or null when creating
  step: 1,
  polling: null,
};

const $ = (id) => document.getElementById(id);

// ---- API ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.field = body && body.field;
  }
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}`, Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = { message: text }; }
  }
  if (res.status === 401) {
    showSignIn('The admin token was refused. Paste the current one.');
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// A list answer may be a bare array or an object holding one.
function listOf(data, ...keys) {
  if (Array.isArray(data)) return data;
  for (const k of keys) if (data && Array.isArray(data[k])) return data[k];
  return [];
}

function repositoryPath(name) {
  return name.split('/').map(encodeURIComponent).join('/');
}

// ---- small DOM helpers ----------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function td(text, className) {
  return el('td', className ? { className, text: text ?? '' } : { text: text ?? '' });
}

function shortDigest(d) {
  if (!d) return '';
  const [alg, hex] = d.split(':');
  return hex ? `${alg}:${hex.slice(0, 12)}` : d;
}

function when(value) {
  if (!value) return '';
  const t = typeof value === 'number' ? new Date(value) : new Date(String(value));
  return isNaN(t) ? String(value) : t.toLocaleString();
}

function bytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n), u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u ? v.toFixed(1) : v} ${units[u]}`;
}

// ---- sign-in and navigation -----------------------------------------------------------------

function showSignIn(message) {
  for (const id of ['rules', 'repository']) $(id).hidden = true;
  $('signin').hidden = false;
  $('sign-out').hidden = true;
  $('token-error').textContent = message || '';
  $('token').focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const value = $('token').value.trim();
  if (!value) { $('token-error').textContent = 'Enter the admin token.'; return; }
  sessionStorage.setItem(TOKEN_KEY, value);
  $('token').value = '';
  try {
    await loadSources();
  } catch (e) {
    if (e.status !== 401) $('token-error').textContent = e.message;
    return;
  }
  $('signin').hidden = true;
  $('sign-out').hidden = false;
  route();
}

function route() {
  if (!token()) { showSignIn(); return; }
  const view = location.hash === '#repository' ? 'repository' : 'rules';
  $('rules').hidden = view !== 'rules';
  $('repository').hidden = view !== 'repository';
  $('nav-rules').toggleAttribute('aria-current', view === 'rules');
  $('nav-repository').toggleAttribute('aria-current', view === 'repository');
  if (view === 'rules') $('nav-rules').setAttribute('aria-current', 'page');
  else $('nav-repository').setAttribute('aria-current', 'page');
  if (view === 'rules') loadRules();
}

// ---- sources --------------------------------------------------------------------------------

async function loadSources() {
  const data = await api('GET', '/api/v1/sources');
  state.sources = listOf(data, 'source_types', 'sources', 'types');
  state.platforms = listOf(data, 'platforms');
  const select = $('source-type');
  select.replaceChildren(...state.sources.map((s) =>
    el('option', { value: s.type, text: SOURCE_LABELS[s.type] || s.type })));
  $('platforms').replaceChildren(...state.platforms.map((p) => el('option', { value: p, text: p })));
  onSourceChange();
}

function currentSource() {
  return state.sources.find((s) => s.type === $('source-type').value) || {};
}

function onSourceChange() {
  const src = currentSource();
  const needsDomain = !!src.requires_domain;
  $('domain-field').hidden = !needsDomain;
  $('source-domain').required = needsDomain;
  const max = src.max_latest_n || 1;
  const n = $('latest-n');
  n.max = String(max);
  $('latest-n-max').textContent = `At most ${max} for ${SOURCE_LABELS[src.type] || src.type}.`;
  if (Number(n.value) > max) n.value = String(max);
}

// ---- rules list -----------------------------------------------------------------------------

function ruleOf(entry) {
  // The API may answer {id, rule:{...}, ...} or the rule fields at top level.
  return entry.rule && typeof entry.rule === 'object' ? entry.rule : entry;
}

function sourceText(r) {
  const s = r.source || {};
  const label = SOURCE_LABELS[s.type] || s.type || '';
  return [label, s.domain, s.repository].filter(Boolean).join(' · ');
}

function lastTaskCell(entry) {
  const t = entry.last_task;
  if (!t) return td('');
  const cell = td('');
  cell.append(el('span', { className: `status-${t.status}`, text: t.status }));
  const at = t.ended_at || t.started_at || t.queued_at;
  if (at) cell.append(el('br'), el('span', { className: 'muted', text: when(at) }));
  return cell;
}

async function loadRules() {
  $('rules-error').textContent = '';
  let data;
  try {
    data = await api('GET', '/api/v1/rules');
  } catch (e) {
    if (e.status !== 401) $('rules-error').textContent = e.message;
    return;
  }
  state.rules = listOf(data, 'rules', 'items');
  const body = $('rules-table').querySelector('tbody');
  body.replaceChildren(...state.rules.map((entry) => {
    const r = ruleOf(entry);
    const id = entry.id ?? r.id;
    const p = r.policy || {};
    const d = r.destination || {};
    const actions = el('td', { className: 'actions' },
      el('button', { type: 'button', text: 'Execute', 'aria-label': `Execute ${r.name}`,
                     onclick: () => confirmExecute(id, r.name) }),
      el('button', { type: 'button', text: 'Edit', 'aria-label': `Edit ${r.name}`,
                     onclick: () => openRuleDialog(entry) }),
      el('button', { type: 'button', text: 'History', 'aria-label': `History of ${r.name}`,
                     onclick: () => showHistory(id, r.name) }),
      el('button', { type: 'button', className: 'danger', text: 'Delete',
                     'aria-label': `Delete ${r.name}`, onclick: () => confirmDelete(id, r.name) }));
    return el('tr', { 'data-rule-id': String(id) },
      td(r.name), td(sourceText(r)), td(p.tag_regex), td(p.latest_n),
      td((p.platforms || []).join(', ') || 'all'), td(d.repository),
      td(d.overwrite ? 'Yes' : 'No'), td(r.acceleration ? 'Yes' : 'No'), td(r.update_period),
      td(when(entry.next_run_at || entry.next_run)), lastTaskCell(entry), actions);
  }));
  $('rules-empty').hidden = state.rules.length > 0;
}

// ---- create / edit dialog -------------------------------------------------------------------

// Where the API's error `field` is shown: the dotted rule path → the input's id.
const FIELD_INPUTS = {
  name: 'rule-name',
  'source.type': 'source-type',
  'source.domain': 'source-domain',
  'source.repository': 'source-repository',
  'source.credential': 'source-credential',
  'policy.tag_regex': 'tag-regex',
  'policy.latest_n': 'latest-n',
  'policy.platforms': 'platforms',
  'destination.repository': 'destination-repository',
  update_period: 'update-period',
};
const STEP_2_INPUTS = new Set(['destination-repository', 'update-period']);

function clearErrors() {
  $('rule-form-error').textContent = '';
  for (const input of Object.values(FIELD_INPUTS)) {
    $(input).removeAttribute('aria-invalid');
    const err = $(`${input}-error`);
    if (err) err.textContent = '';
  }
}

function showFieldError(inputId, message) {
  const input = $(inputId);
  input.setAttribute('aria-invalid', 'true');
  const err = $(`${inputId}-error`);
  err.textContent = message;
  input.setAttribute('aria-errormessage', err.id);
  showStep(STEP_2_INPUTS.has(inputId) ? 2 : 1);
  input.focus();
}

function fieldFor(path) {
  if (!path) return null;
  if (FIELD_INPUTS[path]) return FIELD_INPUTS[path];
  // "policy.platforms[1]" and similar: the closest known prefix.
  const base = path.replace(/\[\d+\]$/, '');
  return FIELD_INPUTS[base] || null;
}

function showStep(n) {
  state.step = n;
  $('step-1').hidden = n !== 1;
  $('step-2').hidden = n !== 2;
  $('rule-back').hidden = n !== 2;
  $('rule-next').hidden = n !== 1;
  $('rule-submit').hidden = n !== 2;
  $('rule-step-indicator').textContent =
    n === 1 ? 'Step 1 of 2: source and policy' : 'Step 2 of 2: destination and schedule';
}

function openRuleDialog(entry) {
  clearErrors();
  const form = $('rule-form');
  form.reset();
  state.editing = entry ? (entry.id ?? ruleOf(entry).id) : null;
  const title = entry ? 'Edit Subscription Rule' : 'Create Subscription Rule';
  $('rule-dialog-title').textContent = title;
  $('rule-submit').textContent = entry ? 'Save Subscription Rule' : 'Create Subscription Rule';
  if (state.sources.length) $('source-type').value = state.sources[0].type;
  if (entry) {
    const r = ruleOf(entry);
    const s = r.source || {}, p = r.policy || {}, d = r.destination || {};
    $('rule-name').value = r.name || '';
    $('source-type').value = s.type || '';
    $('source-domain').value = s.domain || '';
    $('source-repository').value = s.repository || '';
    $('source-credential').value = s.credential || '';
    $('tag-regex').value = p.tag_regex || '.*';
    $('latest-n').value = p.latest_n || 1;
    for (const opt of $('platforms').options) opt.selected = (p.platforms || []).includes(opt.value);
    $('destination-repository').value = d.repository || '';
    $('overwrite').checked = !!d.overwrite;
    $('acceleration').checked = !!r.acceleration;
    $('update-period').value = r.update_period || 'manual';
  }
  onSourceChange();
  showStep(1);
  $('rule-dialog').showModal();
  $('rule-name').focus();
  previewSchedule();
}

// Checks a user can be told about before any request; the server validates everything again.
function checkStep1() {
  clearErrors();
  const src = currentSource();
  if (!$('rule-name').value.trim()) { showFieldError('rule-name', 'Give the rule a name.'); return false; }
  if (src.requires_domain && !$('source-domain').value.trim()) {
    showFieldError('source-domain', 'Required for a custom source: host[:port] of the registry.');
    return false;
  }
  if (!/^[^/\s]+(\/[^/\s]+)+$/.test($('source-repository').value.trim())) {
    showFieldError('source-repository', 'Use the form namespace/repository.');
    return false;
  }
  const n = Number($('latest-n').value);
  const max = src.max_latest_n || 1;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    showFieldError('latest-n',
      `Must be a whole number from 1 to ${max} for ${SOURCE_LABELS[src.type] || src.type}.`);
    return false;
  }
  return true;
}

function ruleFromForm() {
  const src = currentSource();
  const source = { type: src.type, repository: $('source-repository').value.trim() };
  if (src.requires_domain) source.domain = $('source-domain').value.trim();
  const credential = $('source-credential').value.trim();
  if (credential) source.credential = credential;
  const policy = { tag_regex: $('tag-regex').value, latest_n: Number($('latest-n').value) };
  const platforms = [...$('platforms').selectedOptions].map((o) => o.value);
  if (platforms.length) policy.platforms = platforms;
  return {
    name: $('rule-name').value.trim(),
    source,
    policy,
    destination: { repository: $('destination-repository').value.trim(),
                   overwrite: $('overwrite').checked },
    acceleration: $('acceleration').checked,
    update_period: $('update-period').value.trim() || 'manual',
  };
}

async function submitRule(ev) {
  ev.preventDefault();
  if (!checkStep1()) return;
  if (!$('destination-repository').value.trim()) {
    showFieldError('destination-repository', 'Name the destination repository.');
    return;
  }
  const rule = ruleFromForm();
  try {
    if (state.editing !== null) await api('PUT', `/api/v1/rules/${state.editing}`, rule);
    else await api('POST', '/api/v1/rules', rule);
  } catch (e) {
    if (e.status === 401) { $('rule-dialog').close(); return; }
    const input = fieldFor(e.field);
    if (input) showFieldError(input, e.message);
    else $('rule-form-error').textContent = e.message;   // e.g. the edition's rule quota
    return;
  }
  $('rule-dialog').close();
  loadRules();
}

let previewTimer = null;
function previewSchedule() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(async () => {
    const value = $('update-period').value.trim();
    const out = $('update-period-preview');
    $('update-period-error').textContent = '';
    $('update-period').removeAttribute('aria-invalid');
    if (!value) { out.textContent = ''; return; }
    try {
      const data = await api('GET', `/api/v1/schedule?update_period=${encodeURIComponent(value)}&count=3`);
      const next = listOf(data, 'next_runs', 'next');
      out.textContent = next.length ? `Next runs: ${next.map(when).join(' · ')}`
                                    : 'Runs only when executed.';
    } catch (e) {
      out.textContent = '';
      if (e.status === 400) {
        $('update-period').setAttribute('aria-invalid', 'true');
        $('update-period-error').textContent = e.message;
      }
    }
  }, 250);
}

// ---- confirmations, execute, delete ---------------------------------------------------------

function confirmTips(text) {
  return new Promise((resolve) => {
    const dialog = $('confirm-dialog');
    $('confirm-text').textContent = text;
    dialog.returnValue = 'cancel';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.showModal();
    $('confirm-ok').focus();
  });
}

async function confirmExecute(id, name) {
  if (!(await confirmTips(`Run the subscription rule "${name}" now?`))) return;
  $('rules-error').textContent = '';
  let task;
  try {
    task = await api('POST', `/api/v1/rules/${id}/execute`);
  } catch (e) {
    if (e.status !== 401) $('rules-error').textContent = e.message;
    return;
  }
  watchTask(task.id ?? task.task_id, name);
}

async function confirmDelete(id, name) {
  if (!(await confirmTips(`Delete the subscription rule "${name}"? Images already synced stay in the repository.`))) return;
  try {
    await api('DELETE', `/api/v1/rules/${id}`);
  } catch (e) {
    if (e.status !== 401) $('rules-error').textContent = e.message;
    return;
  }
  loadRules();
}

function progressOf(task) {
  return task.progress || {};
}

function renderTask(task, ruleName) {
  const p = progressOf(task);
  $('task-panel').hidden = false;
  $('task-title').textContent = `Task ${task.id} · ${ruleName || (task.rule && task.rule.name) || ''}`;
  const status = $('task-status');
  status.className = `status-${task.status}`;
  status.textContent = `Status: ${task.status}`;
  const done = p.bytes_done ?? 0;
  const planned = p.bytes_total ?? p.bytes_planned ?? 0;
  const bar = $('task-progress');
  bar.max = planned > 0 ? planned : 1;
  bar.value = planned > 0 ? Math.min(done, planned) : (task.status === 'running' ? 0 : 1);
  const parts = [];
  if (planned > 0 || done > 0) parts.push(`${bytes(done)} of ${bytes(planned)}`);
  const blobsTotal = p.blobs_total ?? p.blobs_planned;
  if (blobsTotal !== undefined) parts.push(`blobs ${p.blobs_done ?? 0}/${blobsTotal}`);
  const tagsTotal = p.tags_total ?? p.tags_planned;
  if (tagsTotal !== undefined) parts.push(`tags ${p.tags_done ?? 0}/${tagsTotal}`);
  else if (p.tags_done !== undefined) parts.push(`tags done ${p.tags_done}`);
  $('task-counters').textContent = parts.join(' · ');

  const report = task.report;
  const table = $('task-tags');
  if (report && Array.isArray(report.tags)) {
    table.hidden = false;
    table.querySelector('tbody').replaceChildren(...report.tags.map((t) => el('tr', {},
      td(t.tag), td(t.action, `action-${t.action}`),
      td(shortDigest(t.chosen_digest || t.source_digest || t.digest), 'digest'),
      td(t.reason))));
  } else {
    table.hidden = true;
  }
  if (report && report.error && report.error.message) {
    $('task-counters').textContent += ` · ${report.error.message}`;
  }
}

const FINAL = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

function watchTask(taskId, ruleName) {
  clearTimeout(state.polling);
  const tick = async () => {
    let task;
    try {
      task = await api('GET', `/api/v1/tasks/${taskId}`);
    } catch (e) {
      if (e.status !== 401) $('rules-error').textContent = e.message;
      return;
    }
    renderTask(task, ruleName);
    if (FINAL.has(task.status)) { loadRules(); return; }
    state.polling = setTimeout(tick, POLL_MS);
  };
  tick();
}

async function showHistory(ruleId, name) {
  let data;
  try {
    data = await api('GET', `/api/v1/tasks?rule=${encodeURIComponent(ruleId)}&limit=50`);
  } catch (e) {
    if (e.status !== 401) $('rules-error').textContent = e.message;
    return;
  }
  const tasks = listOf(data, 'tasks', 'items');
  $('history-panel').hidden = false;
  $('history-title').textContent = `Task history · ${name}`;
  $('history-table').querySelector('tbody').replaceChildren(...tasks.map((t) => {
    const open = el('button', { type: 'button', text: String(t.id), 'aria-label': `Open task ${t.id}`,
                                onclick: () => watchTask(t.id, name) });
    return el('tr', {}, el('td', {}, open), td(t.trigger),
      td(t.status, `status-${t.status}`), td(when(t.queued_at)), td(when(t.ended_at)),
      td(summaryText(t)));
  }));
}

// A history row's summary: a list carries no per-tag report (the task view fetches it), only
// `summary` — tags per action, bytes and blobs fetched, the error of a failed task.
function summaryText(t) {
  const s = t.summary;
  if (!s) {
    const p = t.progress || {};
    return `running · ${p.tags_done ?? 0} tags, ${bytes(p.bytes_done ?? 0)} so far`;
  }
  const counts = Object.entries(s.counts || {}).filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${action}`);
  // Ended without a report (execute failed, cancelled, interrupted): nothing to count.
  if (!counts.length && !s.bytes_fetched && s.error) return s.error;
  const parts = [counts.length ? counts.join(', ') : 'no tags'];
  parts.push(`${bytes(s.bytes_fetched ?? 0)} in ${s.blobs_fetched ?? 0} blobs` +
             (s.blobs_reused ? `, ${s.blobs_reused} reused` : ''));
  if (s.error) parts.push(s.error);
  return parts.join(' · ');
}

// ---- repository view ------------------------------------------------------------------------

async function showRepository(ev) {
  ev.preventDefault();
  const name = $('repository-name').value.trim();
  $('repository-error').textContent = '';
  if (!name) { $('repository-error').textContent = 'Name a repository.'; return; }
  let data;
  try {
    data = await api('GET', `/api/v1/repositories/${repositoryPath(name)}/tags`);
  } catch (e) {
    if (e.status !== 401) $('repository-error').textContent = e.message;
    $('repository-tags').hidden = true;
    return;
  }
  const tags = listOf(data, 'tags', 'items');
  const table = $('repository-tags');
  table.hidden = false;
  table.querySelector('tbody').replaceChildren(...tags.map((t) => el('tr', {},
    td(t.tag), td(shortDigest(t.digest), 'digest'), td(t.media_type || t.mediaType),
    td((t.platforms || []).join(', ')))));
  if (!tags.length) $('repository-error').textContent = `No tags in ${name}.`;
}

// ---- wiring ---------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); showSignIn(); });
  $('create-rule').addEventListener('click', () => openRuleDialog(null));
  $('source-type').addEventListener('change', onSourceChange);
  $('rule-next').addEventListener('click', () => { if (checkStep1()) { showStep(2); $('destination-repository').focus(); } });
  $('rule-back').addEventListener('click', () => showStep(1));
  $('rule-cancel').addEventListener('click', () => $('rule-dialog').close());
  $('rule-form').addEventListener('submit', submitRule);
  $('update-period').addEventListener('input', previewSchedule);
  $('repository-form').addEventListener('submit', showRepository);
  window.addEventListener('hashchange', route);
  if (token()) {
    loadSources().then(() => { $('signin').hidden = true; $('sign-out').hidden = false; route(); })
                 .catch(() => {});
  } else {
    showSignIn();
  }
});
