// The console's shell: sign-in (password, then the second factor when the account has one), the
// navigation, and a hash router (#/users …) so it is static files only: the Worker's asset server
// serves them and no route of the server has to know the console's pages.
import { ApiError, currentUser, onSessionChange, sendEmailCode, signIn, signOut, verifySecondFactor } from './api.js';
import { h, replace } from './dom.js';
import * as pages from './pages.js';

const STAFF = new Set(['admin', 'superadmin']);
const ROUTES = {
  dashboard: pages.dashboard,
  users: pages.users,
  verification: pages.verification,
  appointments: pages.appointments,
  alerts: pages.alerts,
  support: pages.support,
  deliveries: pages.deliveries,
  settings: pages.settings,
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const whoami = document.getElementById('whoami');
const signOutButton = document.getElementById('signout');

/** A message shown above the next sign-in form (why the last one ended). */
let notice = null;

const routeName = () => {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0];
  return Object.hasOwn(ROUTES, name) ? name : 'dashboard';
};

function field(label, attrs) {
  const input = h('input', attrs);
  return { input, el: h('label', {}, label, input) };
}

function errorLine(target, err) {
  const text = err instanceof ApiError ? `${err.message} (${err.code})` : `Could not reach the server: ${err.message}`;
  replace(target, text);
}

/** Step 1: email and password. */
function passwordStep() {
  const email = field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = field('Password', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'note error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const why = notice && h('p', { class: 'note error', role: 'alert' }, notice);
  notice = null;
  const form = h(
    'form',
    { class: 'signin', 'aria-label': 'Sign in' },
    h('h1', {}, 'Sign in'),
    why,
    email.el,
    password.el,
    submit,
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    replace(error);
    try {
      const result = await signIn(email.input.value.trim(), password.input.value);
      if (result.challenge) secondFactorStep(result.challenge);
    } catch (err) {
      errorLine(error, err);
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  email.input.focus();
}

/** Step 2: the code of one of the challenge's methods (authenticator app, email code or recovery code). */
function secondFactorStep(challenge) {
  const labels = { totp: 'Authenticator app', email: 'Code by email', recovery: 'Recovery code' };
  const methods = (challenge.methods ?? []).filter((m) => Object.hasOwn(labels, m));
  const error = h('p', { class: 'note error', role: 'alert' });
  if (!methods.length) {
    replace(
      main,
      h(
        'div',
        { class: 'signin' },
        h('h1', {}, 'Second factor'),
        h(
          'p',
          { class: 'note' },
          'This account signs in with a passkey as its second factor, which the console does not offer: use the app.',
        ),
      ),
    );
    return;
  }
  const method = h(
    'select',
    { name: 'method' },
    methods.map((m) => h('option', { value: m }, labels[m])),
  );
  const code = field('Code', {
    type: 'text',
    name: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    required: true,
  });
  const send = h('button', { type: 'button', class: 'link' }, 'Email me a code');
  const updateSend = () => {
    send.hidden = method.value !== 'email';
  };
  method.addEventListener('change', updateSend);
  updateSend();
  send.addEventListener('click', async () => {
    try {
      await sendEmailCode(challenge.challengeId);
      replace(error, 'Code sent: check your email.');
    } catch (err) {
      errorLine(error, err);
    }
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Verify');
  const form = h(
    'form',
    { class: 'signin', 'aria-label': 'Second factor' },
    h('h1', {}, 'Second factor'),
    h('p', { class: 'note' }, 'Your account has two-step sign-in on: enter a code to finish.'),
    h('label', {}, 'Method', method),
    code.el,
    send,
    submit,
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await verifySecondFactor(challenge.challengeId, method.value, code.input.value.trim());
    } catch (err) {
      errorLine(error, err);
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
  code.input.focus();
}

async function render() {
  const user = currentUser();
  if (!user) {
    nav.hidden = true;
    signOutButton.hidden = true;
    replace(whoami);
    passwordStep();
    return;
  }
  if (!STAFF.has(user.role)) {
    notice = 'The console is for admins and superadmins.';
    await signOut();
    return;
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  replace(whoami, `${user.name} · ${user.role}`);
  const name = routeName();
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === `#/${name}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  await ROUTES[name](main);
}

signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => render());
onSessionChange(() => render());
render();
