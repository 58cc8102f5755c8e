// The console's pages. Each renders into `main` from the public API (api.js) and builds its DOM with
// h() (dom.js): API data only ever becomes text nodes and attribute values.
import { ApiError, call } from './api.js';
import { barChart } from './charts.js';
import { h, number, replace, when } from './dom.js';

let toastTimer;
/** A short message at the bottom of the screen (role=status, read out by screen readers). */
export function toast(message, kind = 'ok') {
  const el = document.getElementById('toast');
  el.className = `toast show ${kind}`;
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.className = 'toast';
  }, 4000);
}

/** An API failure as a sentence: a refusal says so, a validation error names its fields. */
function errorText(err) {
  if (!(err instanceof ApiError)) return `Something went wrong: ${err.message}`;
  const fields = err.fields?.map((f) => `${f.field ?? f.path ?? ''}: ${f.message}`).join('; ');
  if (err.status === 403) return `Not allowed for your account (${err.code}): ${err.message}`;
  return `${err.message} (${err.code})${fields ? ` — ${fields}` : ''}`;
}

const errorNote = (err) => h('p', { class: 'note error', role: 'alert' }, errorText(err));

/** Runs an action, says how it went, then `after()` (usually a reload). */
async function act(label, action, after) {
  try {
    await action();
    toast(label);
    await after?.();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

const qs = (params) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') out.set(k, String(v));
  const s = out.toString();
  return s ? `?${s}` : '';
};

/** A button that asks for a reason inline (no dialog) before `run(reason)`. */
function reasonButton(label, run, { danger = true, name } = {}) {
  const wrap = h('span', { class: 'reason-action' });
  const open = h('button', { type: 'button', class: danger ? 'danger' : '', 'data-action': name }, label);
  open.addEventListener('click', () => {
    const input = h('input', {
      type: 'text',
      placeholder: 'Reason (3+ characters)',
      'aria-label': `${label}: reason`,
      minlength: 3,
      required: true,
    });
    const confirm = h('button', { type: 'submit', class: danger ? 'danger' : '' }, `Confirm ${label.toLowerCase()}`);
    const cancel = h('button', { type: 'button', class: 'link' }, 'Cancel');
    const form = h('form', { class: 'inline-form' }, input, confirm, cancel);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run(input.value.trim());
    });
    cancel.addEventListener('click', () => replace(wrap, open));
    replace(wrap, form);
    input.focus();
  });
  wrap.append(open);
  return wrap;
}

function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', ...attrs, onclick }, label);
}

/** A table: `columns` are `[heading, (row) => cell]`; each cell gets its heading as data-label (phone layout). */
function table(rows, columns, { empty = 'Nothing here.', rowAttrs = () => ({}) } = {}) {
  if (!rows.length) return h('p', { class: 'note' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map(([heading]) => h('th', { scope: 'col' }, heading)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            rowAttrs(row),
            columns.map(([heading, cell]) => h('td', { 'data-label': heading }, cell(row) ?? '—')),
          ),
        ),
      ),
    ),
  );
}

/** Prev / next for a page answer's `pagination`. */
function pager(pagination, go) {
  if (!pagination || pagination.pages <= 1) return null;
  return h(
    'div',
    { class: 'pager' },
    button('‹ Previous', () => go(pagination.current - 1), { disabled: !pagination.hasPrev }),
    h('span', {}, `Page ${pagination.current} of ${pagination.pages} (${number(pagination.total)})`),
    button('Next ›', () => go(pagination.current + 1), { disabled: !pagination.hasNext }),
  );
}

function select(name, label, options, value) {
  return h(
    'label',
    {},
    label,
    h(
      'select',
      { name },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ),
  );
}

/** A form control's value by name (form.elements, since a form's own properties such as `role` shadow names). */
const field = (form, name) => form.elements.namedItem(name).value;

/** `[label, value]` pairs as a chart's bars. */
const barsOf = (pairs) => pairs.map(([label, value]) => ({ label, value }));

const badge = (text) => h('span', { class: `badge badge-${String(text).replace(/[^a-z-]/gi, '')}` }, text);

function section(title, ...children) {
  return h('section', { class: 'page' }, h('h1', {}, title), children);
}

// ---------------------------------------------------------------------------------------------------
// Dashboard: GET /admin/dashboard (the Arthomed shape; revenue per currency in cents).

export async function dashboard(main) {
  const body = h('div', { class: 'dashboard', 'data-state': 'loading' }, h('p', { class: 'note' }, 'Loading…'));
  replace(main, section('Dashboard', body));
  let data;
  try {
    data = await call('GET', '/admin/dashboard');
  } catch (err) {
    replace(body, errorNote(err));
    body.dataset.state = 'error';
    return;
  }
  const d = data;
  const revenue = d.revenue ?? {};
  // Revenue is a list of { currency, amountCents } per period: currencies are never added together.
  // The chart shows the first currency of the year; the card lists every currency of the month.
  const moneyOf = (currency) => (v) => v.toLocaleString(undefined, { style: 'currency', currency });
  const amounts = (list) => (Array.isArray(list) ? list : []);
  const currency = [...amounts(revenue.thisYear), ...amounts(revenue.thisMonth), ...amounts(revenue.today)][0]
    ?.currency;
  const inCurrency = (list) => {
    const found = amounts(list).find((m) => m.currency === currency);
    return currency ? (found?.amountCents ?? 0) / 100 : undefined;
  };
  const moneyText = (list) =>
    amounts(list).length
      ? amounts(list)
          .map((m) => moneyOf(m.currency)(m.amountCents / 100))
          .join(' · ')
      : '—';
  const cards = [
    ['Users', d.totalUsers],
    ['Doctors', d.totalDoctors],
    ['Patients', d.totalPatients],
    ['Appointments', d.totalAppointments],
    ['Today', d.todayAppointments],
    ['Pending', d.pendingAppointments],
    ['Completed', d.completedAppointments],
    ['Revenue this month', moneyText(revenue.thisMonth)],
  ];
  const topDoctors = Array.isArray(d.topDoctors) ? d.topDoctors : [];
  const recent = Array.isArray(d.recentAppointments) ? d.recentAppointments : [];
  const doctorName = (doc) => doc.name ?? doc.doctor?.name ?? doc.doctorName ?? doc.id ?? doc.doctorId ?? 'Doctor';
  replace(
    body,
    h(
      'div',
      { class: 'cards' },
      cards.map(([label, value]) =>
        h(
          'div',
          { class: 'card' },
          h('span', { class: 'card-label' }, label),
          h('strong', { class: 'card-value' }, typeof value === 'string' ? value : number(value)),
        ),
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      barChart({
        id: 'appointments',
        title: 'Appointments',
        bars: barsOf([
          ['Today', d.todayAppointments],
          ['Pending', d.pendingAppointments],
          ['Completed', d.completedAppointments],
          ['All', d.totalAppointments],
        ]),
      }),
      barChart({
        id: 'revenue',
        title: currency ? `Revenue (${currency})` : 'Revenue',
        format: currency ? moneyOf(currency) : undefined,
        bars: barsOf([
          ['Today', inCurrency(revenue.today)],
          ['This month', inCurrency(revenue.thisMonth)],
          ['This year', inCurrency(revenue.thisYear)],
        ]),
      }),
      barChart({
        id: 'people',
        title: 'People',
        bars: barsOf([
          ['Users', d.totalUsers],
          ['Doctors', d.totalDoctors],
          ['Patients', d.totalPatients],
        ]),
      }),
      barChart({
        id: 'top-doctors',
        title: 'Top doctors by appointments',
        bars: topDoctors.length
          ? topDoctors.map((doc) => ({
              label:
                typeof doc.rating?.average === 'number'
                  ? `${doctorName(doc)} ★${doc.rating.average.toFixed(1)}`
                  : doctorName(doc),
              value: doc.appointmentCount,
            }))
          : [{ label: 'No data', value: undefined }],
      }),
    ),
    h('h2', {}, 'Recent appointments'),
    table(
      recent,
      [
        ['When', (a) => when(a.startsAt ?? a.createdAt)],
        ['Patient', (a) => a.patient?.name ?? a.patientName],
        ['Doctor', (a) => a.doctor?.name ?? a.doctorName],
        ['Status', (a) => (a.status ? badge(a.status) : null)],
      ],
      { empty: 'No appointments yet.' },
    ),
  );
  body.dataset.state = 'ready';
}

// ---------------------------------------------------------------------------------------------------
// The list pages share one shape: filters (a form), a table of one API page, previous / next.

/**
 * Renders a list page into `main`: `filters` are form controls (named like the query parameters they
 * set), `path(state)` the API path with its query, `columns` the table's; `state` starts as `initial`
 * and takes the form's values on submit. Resolves once the first page is shown; `reload` is passed to
 * `columns` (as `columns(reload)`) so row actions can show the list again.
 */
async function listPage(main, { title, initial, filters, path, columns, empty, rowAttrs }) {
  const state = { ...initial, page: 1 };
  const results = h('div', { class: 'results' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': `Filter ${title.toLowerCase()}` },
    filters,
    h('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    for (const name of Object.keys(initial)) state[name] = field(form, name).trim();
    state.page = 1;
    load();
  });
  replace(main, section(title, form, results));
  async function load() {
    try {
      const { items, pagination } = await call('GET', path(state));
      replace(
        results,
        table(items, columns(load), { empty, rowAttrs }),
        pager(pagination, (page) => {
          state.page = page;
          load();
        }),
      );
    } catch (err) {
      replace(results, errorNote(err));
    }
  }
  await load();
}

const searchBox = (name, label) => h('input', { type: 'search', name, placeholder: label, 'aria-label': label });

// ---------------------------------------------------------------------------------------------------
// Users: GET /admin/users (search, role, status), POST /admin/users/{id}/status.

const ROLES = ['user', 'doctor', 'caregiver', 'receptionist', 'admin', 'superadmin'];
const STATUSES = ['active', 'pending', 'inactive', 'blocked', 'removed'];

export function users(main) {
  const setStatus = (user, action, reason, reload) => {
    const label = { block: 'Blocked', unblock: 'Unblocked', activate: 'Activated', deactivate: 'Deactivated' }[action];
    return act(
      `${label} ${user.name}`,
      () => call('POST', `/admin/users/${user.id}/status`, { action, reason }),
      reload,
    );
  };
  return listPage(main, {
    title: 'Users',
    initial: { search: '', role: '', status: '' },
    filters: [
      searchBox('search', 'Search users'),
      select('role', 'Role', [['', 'Any role'], ...ROLES.map((r) => [r, r])], ''),
      select('status', 'Status', [['', 'Any status'], ...STATUSES.map((s) => [s, s])], ''),
    ],
    path: (state) => `/admin/users${qs({ ...state, limit: 20 })}`,
    empty: 'No user matches.',
    rowAttrs: (u) => ({ 'data-user-id': u.id }),
    columns: (reload) => [
      ['Name', (u) => u.name],
      ['Email', (u) => u.email ?? u.mobileNumber],
      ['Role', (u) => u.role],
      ['Status', (u) => badge(u.status)],
      ['Joined', (u) => when(u.createdAt)],
      [
        'Actions',
        (u) => {
          if (u.status === 'blocked') {
            return button('Unblock', () => setStatus(u, 'unblock', undefined, reload), { 'data-action': 'unblock' });
          }
          if (u.status === 'inactive') return button('Activate', () => setStatus(u, 'activate', undefined, reload));
          if (u.status === 'active' || u.status === 'pending') {
            return reasonButton('Block', (reason) => setStatus(u, 'block', reason, reload), { name: 'block' });
          }
          return null;
        },
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// Verification: pending doctors (GET /admin/users?role=doctor&status=pending; approve: POST …/verify;
// reject: deactivate with a reason) and caregivers (GET /admin/caregivers/verification-queue; approve:
// POST /admin/users/{id}/verify; reject: POST /admin/caregivers/{id}/reject).

export async function verification(main) {
  const doctors = h('div', { class: 'results', 'data-queue': 'doctors' });
  const caregivers = h('div', { class: 'results', 'data-queue': 'caregivers' });
  replace(main, section('Verification', h('h2', {}, 'Doctors'), doctors, h('h2', {}, 'Caregivers'), caregivers));

  const approve = (person, reload) =>
    act(`Approved ${person.name}`, () => call('POST', `/admin/users/${person.id}/verify`), reload);

  async function loadDoctors() {
    try {
      const { items } = await call(
        'GET',
        `/admin/users${qs({ role: 'doctor', status: 'pending', sort: 'createdAt', order: 'asc', limit: 50 })}`,
      );
      replace(
        doctors,
        table(
          items,
          [
            ['Name', (u) => u.name],
            ['Email', (u) => u.email],
            ['Registered', (u) => when(u.createdAt)],
            [
              'Decision',
              (u) =>
                h(
                  'span',
                  { class: 'actions' },
                  button('Approve', () => approve(u, loadDoctors), { class: 'primary', 'data-action': 'approve' }),
                  reasonButton('Reject', (reason) =>
                    act(
                      `Rejected ${u.name}`,
                      () => call('POST', `/admin/users/${u.id}/status`, { action: 'deactivate', reason }),
                      loadDoctors,
                    ),
                  ),
                ),
            ],
          ],
          { empty: 'No doctor is waiting.', rowAttrs: (u) => ({ 'data-user-id': u.id }) },
        ),
      );
    } catch (err) {
      replace(doctors, errorNote(err));
    }
  }

  async function loadCaregivers() {
    try {
      const { items } = await call('GET', '/admin/caregivers/verification-queue?limit=50');
      replace(
        caregivers,
        table(
          items,
          [
            ['Name', (c) => c.name],
            ['Email', (c) => c.email],
            ['Specialties', (c) => (c.specialties ?? []).map((s) => s.name).join(', ')],
            ['Credentials', (c) => (c.credentials ?? []).map((x) => `${x.type} ${x.number ?? ''}`.trim()).join('; ')],
            ['Previously rejected', (c) => (c.previousRejection ? (c.previousRejection.reason ?? 'yes') : 'no')],
            [
              'Decision',
              (c) =>
                h(
                  'span',
                  { class: 'actions' },
                  button('Approve', () => approve(c, loadCaregivers), { class: 'primary', 'data-action': 'approve' }),
                  reasonButton('Reject', (reason) =>
                    act(
                      `Rejected ${c.name}`,
                      () => call('POST', `/admin/caregivers/${c.id}/reject`, { reason }),
                      loadCaregivers,
                    ),
                  ),
                ),
            ],
          ],
          { empty: 'No caregiver is waiting.', rowAttrs: (c) => ({ 'data-user-id': c.id }) },
        ),
      );
    } catch (err) {
      replace(caregivers, errorNote(err));
    }
  }
  await Promise.all([loadDoctors(), loadCaregivers()]);
}

// ---------------------------------------------------------------------------------------------------
// Appointments: GET /staff/appointments.

const APPOINTMENT_STATUSES = ['pending', 'confirmed', 'in-progress', 'completed', 'cancelled', 'rejected', 'no-show'];

export function appointments(main) {
  return listPage(main, {
    title: 'Appointments',
    initial: { status: '', upcoming: 'true' },
    filters: [
      select('status', 'Status', [['', 'Any status'], ...APPOINTMENT_STATUSES.map((s) => [s, s])], ''),
      select(
        'upcoming',
        'When',
        [
          ['true', 'Upcoming'],
          ['false', 'Past and upcoming'],
        ],
        'true',
      ),
    ],
    path: (state) => `/staff/appointments${qs({ ...state, order: 'asc', limit: 20 })}`,
    empty: 'No appointment matches.',
    columns: () => [
      ['When', (a) => when(a.startsAt)],
      ['Patient', (a) => a.patient?.name],
      ['Doctor', (a) => a.doctor?.name],
      ['Service', (a) => a.service?.name],
      ['Type', (a) => a.type],
      ['Status', (a) => badge(a.status)],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// Alerts: GET /admin/care-alerts, POST /admin/care-alerts/{id}/acknowledge.

export function alerts(main) {
  return listPage(main, {
    title: 'Care alerts',
    initial: { status: 'open' },
    filters: [
      select(
        'status',
        'Status',
        [
          ['open', 'Open'],
          ['acknowledged', 'Acknowledged'],
          ['all', 'All'],
        ],
        'open',
      ),
    ],
    path: (state) => `/admin/care-alerts${qs({ ...state, limit: 20 })}`,
    empty: 'No alert.',
    columns: (reload) => [
      ['Raised', (a) => when(a.createdAt)],
      ['Severity', (a) => badge(a.severity)],
      ['Patient', (a) => a.patientId],
      ['Report', (a) => a.reportId],
      ['Status', (a) => badge(a.status)],
      [
        'Action',
        (a) =>
          a.status === 'open'
            ? button('Acknowledge', () =>
                act('Acknowledged', () => call('POST', `/admin/care-alerts/${a.id}/acknowledge`), reload),
              )
            : `after ${a.ackSeconds ?? '—'} s`,
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// Support: GET /admin/support/tickets, POST /admin/support/tickets/{id}/status (support agents).

const TICKET_STATUSES = [
  ['', 'Any status'],
  ['open', 'Open'],
  ['in-progress', 'In progress'],
  ['resolved', 'Resolved'],
  ['closed', 'Closed'],
];

export function support(main) {
  const statusControl = (ticket, reload) => {
    const choice = h(
      'select',
      { 'aria-label': `New status of ${ticket.subject}` },
      ['in-progress', 'resolved', 'closed'].map((s) => h('option', { value: s, selected: s === ticket.status }, s)),
    );
    const set = () =>
      act(
        'Ticket updated',
        () => call('POST', `/admin/support/tickets/${ticket.id}/status`, { status: choice.value }),
        reload,
      );
    return h('span', { class: 'actions' }, choice, button('Set', set));
  };
  return listPage(main, {
    title: 'Support tickets',
    initial: { q: '', status: 'open' },
    filters: [searchBox('q', 'Search tickets'), select('status', 'Status', TICKET_STATUSES, 'open')],
    path: (state) => `/admin/support/tickets${qs({ ...state, limit: 20 })}`,
    empty: 'No ticket matches.',
    columns: (reload) => [
      ['Opened', (t) => when(t.createdAt)],
      ['Subject', (t) => t.subject],
      ['Category', (t) => t.category],
      ['Priority', (t) => badge(t.priority)],
      ['Status', (t) => badge(t.status)],
      ['Change', (t) => statusControl(t, reload)],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// Failed deliveries (dead letters): GET /admin/deliveries?status=failed, POST …/{id}/redrive.

export function deliveries(main) {
  return listPage(main, {
    title: 'Failed deliveries',
    initial: { status: 'failed', channel: '' },
    filters: [
      select(
        'status',
        'Status',
        ['failed', 'queued', 'sent', 'delivered', 'skipped'].map((s) => [s, s]),
        'failed',
      ),
      select('channel', 'Channel', [['', 'Any channel'], ...['in-app', 'email', 'sms', 'push'].map((c) => [c, c])], ''),
    ],
    path: (state) => `/admin/deliveries${qs({ ...state, limit: 20 })}`,
    empty: 'No delivery matches.',
    columns: (reload) => [
      ['Updated', (d) => when(d.updatedAt)],
      ['Kind', (d) => d.kind],
      ['Channel', (d) => d.channel],
      ['Recipient', (d) => d.recipientId],
      ['Attempts', (d) => number(d.attempts)],
      ['Last error', (d) => d.lastError ?? d.skipReason],
      [
        'Action',
        (d) =>
          d.status === 'failed'
            ? button('Send again', () =>
                act('Queued again', () => call('POST', `/admin/deliveries/${d.id}/redrive`), reload),
              )
            : badge(d.status),
      ],
    ],
  });
}

// ---------------------------------------------------------------------------------------------------
// Settings and feature flags (superadmins): GET /superadmin/settings, PUT /superadmin/settings/{key}.

export async function settings(main) {
  const flags = h('div', { class: 'results', 'data-group': 'flags' });
  const others = h('div', { class: 'results', 'data-group': 'settings' });
  replace(main, section('Settings', h('h2', {}, 'Feature flags'), flags, h('h2', {}, 'Settings'), others));
  const save = (key, value) =>
    act(`Saved ${key}`, () => call('PUT', `/superadmin/settings/${encodeURIComponent(key)}`, { value }), load);

  function editor(setting) {
    if (setting.type === 'boolean') {
      const box = h('input', { type: 'checkbox', checked: setting.value === true, 'aria-label': setting.key });
      box.addEventListener('change', () => save(setting.key, box.checked));
      return box;
    }
    const text = setting.type === 'json' ? JSON.stringify(setting.value) : String(setting.value ?? '');
    const input = h('input', {
      type: setting.type === 'number' ? 'number' : 'text',
      value: text,
      'aria-label': setting.key,
      step: 'any',
    });
    const form = h('form', { class: 'inline-form' }, input, h('button', { type: 'submit' }, 'Save'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      let value = input.value;
      try {
        if (setting.type === 'number') value = Number(value);
        if (setting.type === 'json') value = JSON.parse(value);
      } catch {
        toast(`${setting.key}: not valid JSON`, 'error');
        return;
      }
      save(setting.key, value);
    });
    return form;
  }

  const columns = [
    ['Key', (s) => h('code', {}, s.key)],
    ['Value', editor],
    ['Default', (s) => JSON.stringify(s.default)],
    ['What it does', (s) => s.description],
  ];

  async function load() {
    try {
      const items = [];
      for (let page = 1; ; page++) {
        const answer = await call('GET', `/superadmin/settings?limit=100&page=${page}`);
        items.push(...answer.items);
        if (!answer.pagination?.hasNext) break;
      }
      const isFlag = (s) => s.key.startsWith('features.') && s.type === 'boolean';
      replace(
        flags,
        table(items.filter(isFlag), columns, { empty: 'No feature flag.', rowAttrs: (s) => ({ 'data-key': s.key }) }),
      );
      replace(
        others,
        table(
          items.filter((s) => !isFlag(s)),
          columns,
          { rowAttrs: (s) => ({ 'data-key': s.key }) },
        ),
      );
    } catch (err) {
      replace(flags, errorNote(err));
      replace(others);
    }
  }
  await load();
}
